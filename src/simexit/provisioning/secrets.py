"""Identity evidence and account PINs as provisioning stores them: never the raw value.

An ID document number is kept as a keyed HMAC (the server secret, bound to the operator, so one
passport hashes differently per tenant and a leaked table cannot be matched without the key)
plus its last four characters, which an agent reads back to a caller. An account PIN is kept as
an argon2 hash (argon2-cffi), which is salted: the same PIN hashes differently every time, so
"did it change?" is answered by `pin_matches`, not by comparing hashes.

No I/O and no clock; argon2 is CPU-heavy (tens of milliseconds), so callers on the event loop
hand it to a thread like any blocking work.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from simexit.provisioning.rules import normalise_document_number

_DOCUMENT_DERIVATION = b"simexit.id_document:"
_PIN_HASHER = PasswordHasher()
LAST_DIGITS = 4


def document_hash(number: str, *, secret: bytes, operator_id: uuid.UUID) -> str:
    key = hmac.new(secret, _DOCUMENT_DERIVATION + operator_id.bytes, hashlib.sha256).digest()
    return hmac.new(key, normalise_document_number(number).encode(), hashlib.sha256).hexdigest()


def document_matches(
    number: str, *, stored_hash: str | None, secret: bytes, operator_id: uuid.UUID
) -> bool:
    """Whether a number typed now is the one on file (the check an agent's look-up makes)."""
    if stored_hash is None:
        return False
    return hmac.compare_digest(
        document_hash(number, secret=secret, operator_id=operator_id), stored_hash
    )


def hash_pin(pin: str) -> str:
    return _PIN_HASHER.hash(pin)


def pin_matches(pin: str, stored_hash: str | None) -> bool:
    if stored_hash is None:
        return False
    try:
        return _PIN_HASHER.verify(stored_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def seal(
    cleaned: Mapping[str, object],
    *,
    secret: bytes,
    operator_id: uuid.UUID,
    current_pin_hash: str | None = None,
) -> dict[str, object]:
    """`check_subscriber`'s output with the secrets replaced by what may be stored:
    `id_document_number` -> `id_document_hash` + `id_document_last4`, `account_pin` ->
    `account_pin_hash`. A PIN that matches `current_pin_hash` keeps that hash (re-pushing the
    same PIN changes nothing); null clears."""
    sealed = {k: v for k, v in cleaned.items() if k not in ("id_document_number", "account_pin")}
    if "id_document_number" in cleaned:
        number = cleaned["id_document_number"]
        if number is None:
            sealed["id_document_hash"] = sealed["id_document_last4"] = None
        else:
            text = str(number)
            sealed["id_document_hash"] = document_hash(text, secret=secret, operator_id=operator_id)
            sealed["id_document_last4"] = text[-LAST_DIGITS:]
    if "account_pin" in cleaned:
        pin = cleaned["account_pin"]
        if pin is None:
            sealed["account_pin_hash"] = None
        elif pin_matches(str(pin), current_pin_hash):
            sealed["account_pin_hash"] = current_pin_hash
        else:
            sealed["account_pin_hash"] = hash_pin(str(pin))
    return sealed
