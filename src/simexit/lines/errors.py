"""Errors of the lines domain."""

from __future__ import annotations

from simexit.errors import Forbidden, NotFound


class LineNotFound(NotFound):
    code = "line_not_found"


class NotPermitted(Forbidden):
    code = "not_permitted"
