"""One-time codes: derived from the server secret and the challenge's random id, stored only as a
keyed hash, and written into no stored message. Pure.

A code is `derive_code(secret, challenge id)`: the challenge's id is a fresh UUID4 and the secret
never leaves the process, so the code is as unpredictable as one drawn from the CSPRNG, and the
delivery job can write it into the message it hands to SMTP or Kannel without the database ever
holding it. The stored message shows `CODE_PLACEHOLDER` where the code goes."""

from __future__ import annotations

import hashlib
import hmac

CODE_DIGITS = 6
# What the stored message (and the console) shows in place of the code: as many bullets as digits.
CODE_PLACEHOLDER = "\u2022" * CODE_DIGITS
_DERIVATION = b"one-time-code:"


def derive_code(secret: bytes, challenge_id: str) -> str:
    """The code of one challenge (a verification or a portal sign-in), from the server secret."""
    digest = hmac.new(secret, _DERIVATION + challenge_id.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest, 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def reveal(text: str, code: str) -> str:
    """The text the subscriber receives: the stored text with the code in its placeholder."""
    return text.replace(CODE_PLACEHOLDER, code)


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
