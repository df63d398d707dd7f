"""Bytes stored encrypted: AES-256-GCM under a key derived from the secret key, one per label.

The key is HKDF-SHA256 of `SIMEXIT_SECRET_KEY` with the label of what is sealed (refund
destinations, uploaded files...), so it is never the key that signs sessions or hashes identity
evidence, and a blob of one kind never opens as another. Each sealed value binds the id of what it
belongs to as associated data: a blob copied onto another row does not open. The text stored is
`v1.<base64 of nonce + ciphertext>`; the version lets a later key rotation tell the forms apart.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PREFIX = "v1."
_NONCE_BYTES = 12


class Unreadable(ValueError):
    """The stored value does not open with this key (another key, or altered)."""


@dataclass(frozen=True)
class BytesSealer:
    secret_key: bytes
    label: bytes

    def _cipher(self) -> AESGCM:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self.label).derive(
            self.secret_key
        )
        return AESGCM(key)

    def seal_bytes(self, plain: bytes, *, bound_to: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, plain, bound_to.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open_bytes(self, text: str, *, bound_to: str) -> bytes:
        if not text.startswith(_PREFIX):
            raise Unreadable("not a sealed value of this version")
        raw = base64.urlsafe_b64decode(text[len(_PREFIX) :])
        try:
            return self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to.encode())
        except InvalidTag:
            raise Unreadable("the sealed value does not open") from None
