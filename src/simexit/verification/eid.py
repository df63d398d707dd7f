"""What binds a national eID check (OpenID Connect) to the request simexit made. Pure.

A check's `nonce` and PKCE `code_verifier` are derived from the server secret and the check's
random id, as one-time codes are (`codes.derive_code`): they are as unpredictable as drawn ones,
every process derives the same, and nothing about them is stored between sending the subscriber
to the provider and taking their answer back. The `state` is the check id itself."""

from __future__ import annotations

import base64
import hashlib
import hmac

from simexit.verification.ports import CheckSecrets


def _derive(secret: bytes, purpose: bytes, check_id: str) -> str:
    digest = hmac.new(secret, purpose + check_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest + digest[:16]).rstrip(b"=").decode()


def check_secrets(secret: bytes, check_id: str) -> CheckSecrets:
    """The nonce and the PKCE verifier (43+ characters of base64url, RFC 7636) of one check."""
    return CheckSecrets(
        nonce=_derive(secret, b"oidc-nonce:", check_id),
        code_verifier=_derive(secret, b"oidc-pkce:", check_id),
    )


def code_challenge(code_verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
