from __future__ import annotations

from simexit.errors import Conflict


class LinesStillActive(Conflict):
    """Erasure asked for while a line still runs: its contract needs the contact data."""

    code = "erasure_lines_active"
