"""An uploaded file read back from its chunks, from any byte on, one chunk in memory at a time."""

from __future__ import annotations

import io
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.models import ImportChunk

CHUNK_BYTES = 1024 * 1024  # every chunk but the last holds exactly this many bytes


class ChunkStream(io.RawIOBase):
    def __init__(self, session: Session, import_id: uuid.UUID, *, offset: int = 0) -> None:
        self.session = session
        self.import_id = import_id
        self.seq, self.position = divmod(offset, CHUNK_BYTES)
        self.data = self._chunk(self.seq)

    def _chunk(self, seq: int) -> bytes:
        data = self.session.scalar(
            select(ImportChunk.data).where(
                ImportChunk.import_id == self.import_id, ImportChunk.seq == seq
            )
        )
        return bytes(data) if data is not None else b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        if self.position >= len(self.data):
            if not self.data:
                return 0
            self.seq += 1
            self.data, self.position = self._chunk(self.seq), 0
            if not self.data:
                return 0
        size = min(len(target), len(self.data) - self.position)
        target[:size] = self.data[self.position : self.position + size]
        self.position += size
        return size


def open_upload(session: Session, import_id: uuid.UUID, *, offset: int = 0) -> io.BufferedReader:
    """The file from `offset` on, buffered (lines are read one by one)."""
    return io.BufferedReader(ChunkStream(session, import_id, offset=offset), CHUNK_BYTES)
