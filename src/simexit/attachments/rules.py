"""What an upload may be: a PDF, a JPEG or a PNG, told by its first bytes, up to a size. Pure."""

from __future__ import annotations

from typing import Final

from simexit.attachments.errors import FileEmpty, FileTooLarge, FileTypeNotAllowed

# The media type of each accepted format, by the bytes every file of it starts with.
SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
ALLOWED_TYPES: Final = tuple(media for _magic, media in SIGNATURES)
FIELD: Final = "file"


def sniff(data: bytes) -> str | None:
    """The media type the bytes themselves say, or None for none of the accepted ones."""
    return next((media for magic, media in SIGNATURES if data.startswith(magic)), None)


def checked_type(data: bytes, *, max_bytes: int) -> str:
    """The media type of an acceptable upload; refuses an empty, too large or other file.

    The name and the declared type are not believed: a `.pdf` that is an executable is refused."""
    if not data:
        raise FileEmpty("the file is empty", field=FIELD)
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"the file is larger than {max_bytes} bytes",
            field=FIELD,
            max_bytes=str(max_bytes),
        )
    media = sniff(data)
    if media is None:
        raise FileTypeNotAllowed(
            f"the file is not one of {', '.join(ALLOWED_TYPES)} (told by its content)",
            field=FIELD,
            allowed=", ".join(ALLOWED_TYPES),
        )
    return media
