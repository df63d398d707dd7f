"""One-time codes: generated from the OS's CSPRNG, stored only as a keyed hash. Pure."""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str, *, key: bytes, verification_id: str) -> str:
    """Keyed with the server secret and bound to one challenge, so a leaked table reveals nothing
    and a code hash cannot be replayed against another challenge."""
    return hmac.new(key, f"{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(code: str, *, stored_hash: str, key: bytes, verification_id: str) -> bool:
    return hmac.compare_digest(
        hash_code(code, key=key, verification_id=verification_id), stored_hash
    )


def mask_phone(phone: str) -> str:
    return (
        phone[:3] + "•" * max(len(phone) - 5, 0) + phone[-2:]
        if len(phone) > 5
        else "•" * len(phone)
    )


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return (local[:1] + "•••" if local else "") + "@" + domain
