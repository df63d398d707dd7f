from __future__ import annotations

from simexit.errors import InvalidInput, NotFound


class FileTypeNotAllowed(InvalidInput):
    code = "file_type_not_allowed"


class FileTooLarge(InvalidInput):
    code = "file_too_large"


class FileEmpty(InvalidInput):
    code = "file_empty"


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
