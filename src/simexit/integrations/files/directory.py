"""The file store of embedded mode: one file per key in a local directory (`SIMEXIT_ATTACHMENT_DIR`).

Keys are `<operator id>/<attachment id>`; anything else is refused, so a key never leaves the
directory. Files are written to a temporary name and renamed, so a reader never sees half a file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

KEY = re.compile(r"^[0-9a-f-]{36}/[0-9a-f-]{36}$")


@dataclass(frozen=True)
class DirectoryStore:
    root: Path

    def _path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError(f"not a file store key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
