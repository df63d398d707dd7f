"""Identity evidence and account PINs as provisioning stores them: never the raw value.

The hashing and comparing live in `simexit.verification.secrets`, which the identity checks
share. An ID document number is kept as a keyed HMAC (the server secret, bound to the operator, so one
passport hashes differently per tenant and a leaked table cannot be matched without the key)
plus its last four characters, which an agent reads back to a caller. An account PIN is kept as
an argon2 hash (argon2-cffi), which is salted: the same PIN hashes differently every time, so
"did it change?" is answered by `pin_matches`, not by comparing hashes.

No I/O and no clock; argon2 is CPU-heavy (tens of milliseconds), so callers on the event loop
hand it to a thread like any blocking work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from simexit.verification.secrets import (
    document_hash,
    document_matches,
    hash_pin,
    pin_matches,
)

LAST_DIGITS = 4
__all__ = ["LAST_DIGITS", "document_hash", "document_matches", "hash_pin", "pin_matches", "seal"]


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
