"""Refund destinations stored encrypted: AES-256-GCM under a key derived from the secret key.

The key is HKDF-SHA256 of `SIMEXIT_SECRET_KEY` with its own label, so it is never the key that
signs sessions or hashes identity evidence. Each sealed value binds the payout's id as
associated data: a blob copied onto another payout does not open. The text stored is
`v1.<base64 of nonce + ciphertext>`; the version lets a later key rotation tell the forms apart.
Erasure overwrites the stored text; there is nothing else to forget.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from simexit.refunds.destinations import Destination

_LABEL = b"simexit refund destination v1"
_PREFIX = "v1."
_NONCE_BYTES = 12


class UnreadableDestination(ValueError):
    """The stored destination does not open with this key (another key, or altered)."""


@dataclass(frozen=True)
class Sealer:
    secret_key: bytes

    def _cipher(self) -> AESGCM:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
            self.secret_key
        )
        return AESGCM(key)

    def seal(self, destination: Destination, *, bound_to: str) -> str:
        plain = json.dumps(destination.as_dict(), sort_keys=True).encode()
        return self.seal_bytes(plain, bound_to=bound_to)

    def open(self, text: str, *, bound_to: str) -> Destination:
        return Destination.from_dict(json.loads(self.open_bytes(text, bound_to=bound_to)))

    def seal_bytes(self, plain: bytes, *, bound_to: str) -> str:
        """Any bytes (a payment file, which names every creditor's account) sealed the same way."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, plain, bound_to.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open_bytes(self, text: str, *, bound_to: str) -> bytes:
        if not text.startswith(_PREFIX):
            raise UnreadableDestination("not a sealed value of this version")
        raw = base64.urlsafe_b64decode(text[len(_PREFIX) :])
        try:
            return self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to.encode())
        except InvalidTag:
            raise UnreadableDestination("the sealed value does not open") from None
