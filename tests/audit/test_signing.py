"""Signing and checking checkpoints: pure, no database."""

from __future__ import annotations

import base64
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simexit.audit.signing import (
    CheckpointFormatError,
    SignedCheckpoint,
    SigningKeyError,
    create_private_key_file,
    from_json_line,
    generate_private_key_pem,
    key_id,
    load_private_key,
    load_public_key,
    public_key_pem,
    sign,
    signature_problem,
)

AT = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def _signed(key: Ed25519PrivateKey = KEY, seq: int = 42) -> SignedCheckpoint:
    return sign(key, operator_id="op-1", seq=seq, head_hash="ab" * 32, signed_at=AT)


def test_a_signed_checkpoint_verifies_with_its_public_key() -> None:
    signed = _signed()
    assert signed.checkpoint.key_id == key_id(KEY.public_key())
    assert signature_problem(signed, KEY.public_key()) is None


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 43},
        {"head_hash": "cd" * 32},
        {"operator_id": "op-2"},
        {"signed_at": datetime(2026, 12, 2, 13, 1, tzinfo=UTC)},
    ],
)
def test_any_changed_field_breaks_the_signature(change: dict[str, object]) -> None:
    signed = _signed()
    forged = SignedCheckpoint(replace(signed.checkpoint, **change), signed.signature)  # type: ignore[arg-type]
    assert signature_problem(forged, KEY.public_key()) == "its signature does not verify"


def test_another_key_is_named_as_not_the_configured_one() -> None:
    problem = signature_problem(_signed(OTHER), KEY.public_key())
    assert problem is not None
    assert "not by the configured key" in problem


def test_a_signature_by_another_key_under_our_key_id_does_not_verify() -> None:
    ours, theirs = _signed(), _signed(OTHER)
    forged = SignedCheckpoint(ours.checkpoint, theirs.signature)
    assert signature_problem(forged, KEY.public_key()) == "its signature does not verify"


def test_garbage_signature_does_not_verify() -> None:
    signed = SignedCheckpoint(_signed().checkpoint, base64.b64encode(b"x" * 64).decode())
    assert signature_problem(signed, KEY.public_key()) == "its signature does not verify"
    not_base64 = SignedCheckpoint(_signed().checkpoint, "%%%")
    assert signature_problem(not_base64, KEY.public_key()) == "its signature does not verify"


def test_a_json_line_round_trips() -> None:
    signed = _signed()
    assert from_json_line(signed.to_json_line()) == signed
    assert signature_problem(from_json_line(signed.to_json_line()), KEY.public_key()) is None


@pytest.mark.parametrize("line", ["not json", "[1]", '{"seq": 1}', '{"operator_id": 1}'])
def test_a_line_that_is_no_checkpoint_is_refused(line: str) -> None:
    with pytest.raises(CheckpointFormatError):
        from_json_line(line)


def test_key_files(tmp_path: Path) -> None:
    private = tmp_path / "key.pem"
    private.write_bytes(generate_private_key_pem())
    key = load_private_key(private)
    public = tmp_path / "key.pub"
    public.write_bytes(public_key_pem(key))
    assert key_id(load_public_key(public)) == key_id(key.public_key())
    assert key_id(load_public_key(private)) == key_id(key.public_key())
    with pytest.raises(SigningKeyError, match="cannot read"):
        load_private_key(tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("junk")
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM private key"):
        load_private_key(tmp_path / "junk.pem")
    with pytest.raises(SigningKeyError, match="not a PEM public key"):
        load_public_key(tmp_path / "junk.pem")


def test_processes_starting_at_once_create_one_key_and_all_read_it_whole(tmp_path: Path) -> None:
    """Four servers and workers starting together on an empty embedded database each want the
    generated key: one writes it, and none reads it half-written (issue 14's start-up race)."""
    path = tmp_path / "keys" / "audit-signing-key.pem"
    start = threading.Barrier(8)
    created: list[bool] = []
    public: list[bytes] = []
    lock = threading.Lock()

    def start_up() -> None:
        start.wait()
        wrote = create_private_key_file(path)
        key = public_key_pem(load_private_key(path))
        with lock:
            created.append(wrote)
            public.append(key)

    threads = [threading.Thread(target=start_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(created) == [False] * 7 + [True]
    assert len(set(public)) == 1
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no drafts left behind
    assert path.stat().st_mode & 0o777 == 0o600
