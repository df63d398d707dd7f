"""The rows of a subscriber-base file, one at a time, never the whole file in memory.

CSV (UTF-8, with or without a byte-order mark, a header naming the columns) or JSON Lines (one
object per line). A row's number is the line of the file it starts on, so that row 2 is the first
row under a CSV header, as a spreadsheet numbers it. A file that cannot be read as a whole (no
header, unknown columns, not UTF-8) is refused with `ImportFileError`; a single bad row is
reported with its number and the file goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from simexit.errors import DomainError, InvalidInput


class FileFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


MEDIA_TYPES = {"text/csv": FileFormat.csv, "application/x-ndjson": FileFormat.jsonl}
# Other names JSON Lines goes by; taken, not advertised.
MEDIA_ALIASES = {"application/jsonl": FileFormat.jsonl, "application/jsonlines": FileFormat.jsonl}


class ImportFileError(InvalidInput):
    code = "import_file_invalid"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One row as read: its line number and its cells, or why it could not be read.

    `end_offset` is how many bytes of the file lie before the next row: a run that stops after
    this row starts again exactly there."""

    number: int
    values: dict[str, object]
    unreadable: str | None = None  # the rule broken: "column_count", "json_object", ...
    end_offset: int = 0


def format_of_name(name: str) -> FileFormat:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return FileFormat.csv
    if lowered.endswith((".jsonl", ".ndjson")):
        return FileFormat.jsonl
    raise ImportFileError(
        f"cannot tell the format of {name!r}: name it .csv, .jsonl or .ndjson, or say --format",
        field="file",
    )


def format_of_media_type(content_type: str) -> FileFormat:
    media = content_type.split(";", 1)[0].strip().lower()
    found = MEDIA_TYPES.get(media) or MEDIA_ALIASES.get(media)
    if found is None:
        raise UnsupportedMediaType(
            f"send the file as one of {', '.join(sorted(MEDIA_TYPES))}, not {media or 'nothing'}",
            field="Content-Type",
        )
    return found


class RowSource:
    """The rows of one file from byte `offset` on (0: the start; for a CSV the header is read
    there, or `columns` from an earlier run are given). Lines are read as bytes and decoded one
    by one, so the byte position of every row is exact and a line that is not UTF-8 is one
    rejected row, not the end of the file."""

    def __init__(
        self,
        stream: IO[bytes],
        fmt: FileFormat,
        *,
        known_columns: Collection[str],
        offset: int = 0,
        line: int = 0,
        columns: list[str] | None = None,
    ) -> None:
        self.stream = stream
        self.format = fmt
        self.known = known_columns
        self.offset = offset
        self.line = line
        self.columns = columns
        self._bad_line = False
        # Lazy: nothing is read before the first row (or `read_header`) is asked for.
        self._reader = csv.reader(self._lines(), strict=True)

    def __iter__(self) -> Iterator[SourceRow]:
        if self.format is FileFormat.csv:
            return self._csv_rows()
        return self._jsonl_rows()

    def _lines(self) -> Iterator[str]:
        for raw in iter(self.stream.readline, b""):
            at_start = self.offset == 0
            self.offset += len(raw)
            self.line += 1
            if at_start:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self._bad_line = True
                yield "\n"

    def read_header(self) -> None:
        """Read and check a CSV's header now (iterating does it first otherwise), so a file that
        cannot be imported is refused before anything starts."""
        if self.format is not FileFormat.csv or self.columns is not None:
            return
        try:
            header = next(self._reader)
        except StopIteration:
            raise ImportFileError(
                "the file is empty: it needs a header row", field="file"
            ) from None
        if self._bad_line:
            raise ImportFileError("the header is not UTF-8 text", field="header")
        self.columns = _check_header(header, self.known)

    def _csv_rows(self) -> Iterator[SourceRow]:
        self.read_header()
        reader = self._reader
        columns = self.columns or []
        while True:
            number = self.line + 1
            self._bad_line = False
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield SourceRow(number, {}, "csv_syntax", self.offset)
                continue
            if self._bad_line:
                yield SourceRow(number, {}, "utf8", self.offset)
            elif not any(cell.strip() for cell in cells):
                continue  # a blank line
            elif len(cells) != len(columns):
                yield SourceRow(number, {}, "column_count", self.offset)
            else:
                # An empty cell is a value too ("nothing here"): the header, not the row, says
                # which fields the file sets.
                yield SourceRow(number, dict(zip(columns, cells, strict=True)), None, self.offset)

    def _jsonl_rows(self) -> Iterator[SourceRow]:
        for text in self._lines():
            number = self.line
            if self._bad_line:
                self._bad_line = False
                yield SourceRow(number, {}, "utf8", self.offset)
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError:
                yield SourceRow(number, {}, "json_syntax", self.offset)
                continue
            if not isinstance(value, dict):
                yield SourceRow(number, {}, "json_object", self.offset)
                continue
            unknown = [key for key in value if key not in self.known]
            if unknown:
                yield SourceRow(number, {}, f"unknown_field:{unknown[0]}", self.offset)
                continue
            yield SourceRow(number, value, None, self.offset)


def _check_header(header: list[str], known: Collection[str]) -> list[str]:
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ImportFileError(
            f"unknown column {unknown[0]!r} in the header; the columns are listed in "
            "docs/import.md",
            field="header",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ImportFileError(f"column {repeated[0]!r} appears twice", field="header")
    return names
