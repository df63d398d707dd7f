"""What the audit domain needs from outside: somewhere to keep signed checkpoints that the
database's owner cannot rewrite (a directory on another volume, a receiver the operator runs)."""

from __future__ import annotations

from typing import Protocol

from simexit.audit.signing import SignedCheckpoint


class CheckpointExportError(Exception):
    """A sink did not take a checkpoint; the export is retried and nothing is recorded."""


class CheckpointSink(Protocol):
    name: str

    def append(self, signed: SignedCheckpoint) -> None:
        """Keep `signed`; raise `CheckpointExportError` when it was not kept. A repeat of the
        same checkpoint (an export retried after a crash) must be harmless."""
        ...


class CheckpointArchive(Protocol):
    """A sink that can be read back by `simexit audit verify`."""

    def location(self, operator_id: str) -> str:
        """Where the operator's checkpoints are kept, for messages."""
        ...

    def read(self, operator_id: str) -> list[str] | None:
        """The operator's checkpoint lines, oldest first; None when there is no file at all."""
        ...
