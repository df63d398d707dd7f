"""The API key format. A key is `sx_<prefix>_<secret>`: the prefix finds the row, and only the
SHA-256 of the whole key is stored, so a key is shown once, when it is made. Pure."""

from __future__ import annotations

import hashlib
import secrets


def hash_api_key(key: str) -> str:
    """API keys are 32 random bytes; a plain SHA-256 is enough for them (passwords use argon2)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> tuple[str, str]:
    """Returns (prefix, full key). The prefix finds the row; only the hash of the key is stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"sx_{prefix}_{secrets.token_urlsafe(32)}"


def split_api_key(token: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "sx" or not parts[1] or len(parts[1]) > 16:
        return None
    return parts[1]
