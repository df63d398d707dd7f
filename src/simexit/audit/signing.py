"""Signed checkpoints of the audit chain heads (Ed25519). Pure apart from reading key files.

A checkpoint says "operator O's chain had event `seq` with hash `head_hash` at `signed_at`",
signed with a key kept outside the database. Re-hashing the chain proves only that the rows
agree with each other: anyone who can write the database can recompute every hash after an edit
with the product's own function. A signed checkpoint cannot be recomputed without the private
key, so an edit to any event at or before a checkpoint's `seq` shows up as a mismatch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CHECKPOINT_VERSION = 1


class CheckpointFormatError(ValueError):
    """A checkpoint line that is not a checkpoint (bad JSON, a missing or mistyped field)."""


class SigningKeyError(ValueError):
    """A key file that cannot be read as an Ed25519 key."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    operator_id: str
    seq: int
    head_hash: str
    signed_at: datetime
    key_id: str

    def message(self) -> bytes:
        """The exact bytes that are signed: canonical JSON of every field."""
        body = {
            "v": CHECKPOINT_VERSION,
            "operator_id": self.operator_id,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "signed_at": self.signed_at.isoformat(timespec="microseconds"),
            "key_id": self.key_id,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signature: str  # base64 of the 64-byte Ed25519 signature

    def to_json_line(self) -> str:
        c = self.checkpoint
        return json.dumps(
            {
                "v": CHECKPOINT_VERSION,
                "operator_id": c.operator_id,
                "seq": c.seq,
                "head_hash": c.head_hash,
                "signed_at": c.signed_at.isoformat(timespec="microseconds"),
                "key_id": c.key_id,
                "signature": self.signature,
            },
            sort_keys=True,
            separators=(",", ":"),
        )


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(
    private_key: Ed25519PrivateKey,
    *,
    operator_id: str,
    seq: int,
    head_hash: str,
    signed_at: datetime,
) -> SignedCheckpoint:
    checkpoint = Checkpoint(
        operator_id, seq, head_hash, signed_at, key_id(private_key.public_key())
    )
    signature = private_key.sign(checkpoint.message())
    return SignedCheckpoint(checkpoint, base64.b64encode(signature).decode())


def signature_problem(signed: SignedCheckpoint, public_key: Ed25519PublicKey) -> str | None:
    """None when `public_key` made this signature over this checkpoint; else why not."""
    if signed.checkpoint.key_id != key_id(public_key):
        return f"signed by key {signed.checkpoint.key_id}, not by the configured key {key_id(public_key)}"
    try:
        raw = base64.b64decode(signed.signature, validate=True)
        public_key.verify(raw, signed.checkpoint.message())
    except (InvalidSignature, ValueError):
        return "its signature does not verify"
    return None


def from_json_line(line: str) -> SignedCheckpoint:
    try:
        data: Any = json.loads(line)
        if not isinstance(data, dict):
            raise TypeError("not an object")
        checkpoint = Checkpoint(
            operator_id=_text(data, "operator_id"),
            seq=_integer(data, "seq"),
            head_hash=_text(data, "head_hash"),
            signed_at=datetime.fromisoformat(_text(data, "signed_at")),
            key_id=_text(data, "key_id"),
        )
        return SignedCheckpoint(checkpoint, _text(data, "signature"))
    except (ValueError, TypeError, KeyError) as error:
        raise CheckpointFormatError(f"not a checkpoint: {error}") from None


def _text(data: dict[str, Any], field: str) -> str:
    value = data[field]
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string")
    return value


def _integer(data: dict[str, Any], field: str) -> int:
    value = data[field]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{field} must be an integer")
    return value


# -- key files


def generate_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def create_private_key_file(path: Path) -> bool:
    """Write a new key to `path` unless one is there; whether this call wrote it.

    The key is written whole to a private file beside `path` and then linked into place, so
    processes starting at once never read a half-written key: each sees no file or a whole one,
    and exactly one of them creates it (the others' link fails and they use the winner's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(generate_private_key_pem())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(draft)


def public_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as error:
        raise SigningKeyError(f"cannot read {path}: {error.strerror}") from None
    except (ValueError, TypeError):
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM public key, or the public half of a PEM private key."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningKeyError(f"cannot read {path}: {error.strerror}") from None
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise SigningKeyError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key
