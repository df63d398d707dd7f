"""Where sealed uploads are kept. The edge picks the adapter (a local directory in embedded mode)."""

from __future__ import annotations

from typing import Protocol


class FileStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Keep `data` (already sealed) under `key`, replacing nothing: keys are new ids."""

    def get(self, key: str) -> bytes:
        """The bytes kept under `key`; KeyError when there are none."""

    def delete(self, key: str) -> None:
        """Forget `key`; nothing happens when it is gone already."""
