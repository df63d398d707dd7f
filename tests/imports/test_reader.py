"""Reading a base file row by row: line numbers, byte positions to resume at, unreadable rows."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.imports.reader import (
    FileFormat,
    ImportFileError,
    RowSource,
    SourceRow,
    UnsupportedMediaType,
    format_of_media_type,
    format_of_name,
)

KNOWN = {"external_id", "msisdn", "product_name"}


def _rows(
    data: bytes,
    fmt: FileFormat = FileFormat.csv,
    *,
    offset: int = 0,
    line: int = 0,
    columns: list[str] | None = None,
) -> list[SourceRow]:
    source = RowSource(
        io.BytesIO(data), fmt, known_columns=KNOWN, offset=offset, line=line, columns=columns
    )
    return list(source)


def test_rows_are_numbered_as_a_spreadsheet_numbers_them() -> None:
    data = b'external_id,msisdn\nL1,+4790000001\n"L2","+4790000002"\n'
    rows = _rows(data)
    assert [(r.number, r.values) for r in rows] == [
        (2, {"external_id": "L1", "msisdn": "+4790000001"}),
        (3, {"external_id": "L2", "msisdn": "+4790000002"}),
    ]
    assert rows[-1].end_offset == len(data)


def test_a_quoted_line_break_keeps_later_rows_numbered_by_their_first_line() -> None:
    data = b'external_id,product_name\nL1,"two\nlines"\nL2,x\n'
    rows = _rows(data)
    assert [(r.number, r.values["external_id"]) for r in rows] == [(2, "L1"), (4, "L2")]


def test_a_byte_order_mark_and_crlf_line_ends_are_read() -> None:
    rows = _rows(b"\xef\xbb\xbfexternal_id,msisdn\r\nL1,+4790000001\r\n")
    assert rows[0].values == {"external_id": "L1", "msisdn": "+4790000001"}


def test_bad_rows_are_reported_and_reading_goes_on() -> None:
    data = b"external_id,msisdn\nL1\nL2,\xff\xfe\nL3,+4790000003\n"
    rows = _rows(data)
    assert [(r.number, r.unreadable) for r in rows] == [
        (2, "column_count"),
        (3, "utf8"),
        (4, None),
    ]


def test_blank_lines_are_skipped() -> None:
    rows = _rows(b"external_id,msisdn\n\nL1,+4790000001\n,\n")
    assert [r.number for r in rows] == [3]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "file"),
        (b"external_id,colour\nL1,red\n", "header"),
        (b"external_id,external_id\n", "header"),
        (b"external_id,\xff\n", "header"),
    ],
)
def test_a_file_that_cannot_be_read_as_a_whole_is_refused_by_field(data: bytes, field: str) -> None:
    with pytest.raises(ImportFileError) as refused:
        _rows(data)
    assert refused.value.field == field


def test_json_lines_rows_and_their_problems() -> None:
    data = b'{"external_id": "L1"}\nnot json\n[1]\n{"colour": "red"}\n\n{"external_id": "L5"}\n'
    rows = _rows(data, FileFormat.jsonl)
    assert [(r.number, r.unreadable) for r in rows] == [
        (1, None),
        (2, "json_syntax"),
        (3, "json_object"),
        (4, "unknown_field:colour"),
        (6, None),
    ]


@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
            st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(min_value=0, max_value=29),
)
def test_resuming_at_a_rows_end_offset_reads_exactly_the_rows_after_it(
    cells: list[tuple[str, str]], cut: int
) -> None:
    """What the import job relies on: stop after any row, start again at its offset and line,
    and the rows that follow are the same as in one pass (quotes and line breaks included)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["external_id", "product_name"])
    for external_id, name in cells:
        writer.writerow([f"L{external_id}", name])
    data = out.getvalue().encode()
    whole = _rows(data)
    if not whole:
        return
    cut = min(cut, len(whole) - 1)
    stop = whole[cut]
    rest = _rows(
        data[stop.end_offset :],
        offset=stop.end_offset,
        line=data[: stop.end_offset].count(b"\n"),  # what the job stores as position_line
        columns=["external_id", "product_name"],
    )
    assert [(r.number, r.values) for r in rest] == [(r.number, r.values) for r in whole[cut + 1 :]]


def test_formats_by_name_and_media_type() -> None:
    assert format_of_name("Base.CSV") is FileFormat.csv
    assert format_of_name("base.ndjson") is FileFormat.jsonl
    assert format_of_media_type("text/csv; charset=utf-8") is FileFormat.csv
    assert format_of_media_type("application/x-ndjson") is FileFormat.jsonl
    with pytest.raises(ImportFileError):
        format_of_name("base.xlsx")
    with pytest.raises(UnsupportedMediaType) as refused:
        format_of_media_type("application/json")
    assert refused.value.field == "Content-Type"
