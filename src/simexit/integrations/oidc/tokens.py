"""The ID token check (OpenID Connect Core §3.1.3.7), with joserfc: the signature against the
provider's JWKS, then `iss`, `aud`, `exp`/`iat` (against the `now` given, not the wall clock)
and `nonce`. Each refusal says which rule the token broke. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from simexit.verification.ports import IdentityNotProven

ALGORITHMS = ("RS256", "PS256", "ES256")
LEEWAY_SECONDS = 60


def check_id_token(
    token: str,
    *,
    jwks: Mapping[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    now: int,
) -> dict[str, Any]:
    """The token's claims once every check holds; `IdentityNotProven` naming the first that
    does not."""
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
    except BadSignatureError:
        raise IdentityNotProven(
            "the ID token is not signed by the provider's keys (JWKS)"
        ) from None
    except JoseError as error:
        raise IdentityNotProven(f"the ID token cannot be read ({error.error})") from None
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(decoded.claims)
    except ExpiredTokenError:
        raise IdentityNotProven("the ID token has expired") from None
    except (InvalidClaimError, MissingClaimError) as error:
        claim = error.claim
        if claim == "nonce":
            raise IdentityNotProven(
                "the ID token belongs to another sign-in (nonce does not match)"
            ) from None
        raise IdentityNotProven(f"the ID token's {claim} is not the expected one") from None
    except JoseError as error:
        raise IdentityNotProven(f"the ID token was refused ({error.error})") from None
    return dict(decoded.claims)
