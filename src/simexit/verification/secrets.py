"""What identity evidence is stored as, and how a value given now is compared with it: never the
raw value. Pure (no I/O, no clock); shared by provisioning (which stores) and the identity checks
(which compare).

An ID document number is kept as a keyed HMAC (the server secret, bound to the operator, so one
passport hashes differently per tenant and a leaked table cannot be matched without the key)
plus its last four characters, which an agent reads back to a caller. A national identity number
(from an eID) is kept the same way under its own derivation. An account PIN is kept as an
argon2 hash (argon2-cffi), which is salted: the same PIN hashes differently every time, so
"does it match?" is answered by `pin_matches`, not by comparing hashes. argon2 is CPU-heavy (tens
of milliseconds), so callers on the event loop hand it to a thread like any blocking work.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_DOCUMENT_DERIVATION = b"simexit.id_document:"
_PIN_HASHER = PasswordHasher()


def normalise_document_number(value: str) -> str:
    """The form a document number is hashed in: upper case, no spaces, dashes or dots, so the
    same passport typed two ways gives one hash."""
    return re.sub(r"[\s.\-/]", "", value).upper()


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


_NATIONAL_ID_DERIVATION = b"simexit.national_id:"


def national_id_hash(number: str, *, secret: bytes, operator_id: uuid.UUID) -> str:
    """A national identity number (fødselsnummer, SNILS...) as stored: a keyed HMAC, per tenant."""
    key = hmac.new(secret, _NATIONAL_ID_DERIVATION + operator_id.bytes, hashlib.sha256).digest()
    digits = re.sub(r"[\s.\-]", "", number)
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def national_id_matches(
    number: str, *, stored_hash: str | None, secret: bytes, operator_id: uuid.UUID
) -> bool:
    if stored_hash is None:
        return False
    return hmac.compare_digest(
        national_id_hash(number, secret=secret, operator_id=operator_id), stored_hash
    )
