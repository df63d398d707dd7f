"""Line states and suspension flags. Pure."""

from __future__ import annotations

from enum import StrEnum


class LineStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    pending_termination = "pending_termination"
    terminated = "terminated"
    number_released = "number_released"


class SuspensionFlag(StrEnum):
    """Reasons overlap: the line is barred while any flag is set."""

    voluntary = "voluntary"
    lost_stolen = "lost_stolen"
    debt = "debt"
    regulatory = "regulatory"


def status_for_flags(current: LineStatus, flags: set[SuspensionFlag]) -> LineStatus:
    if current not in {LineStatus.active, LineStatus.suspended}:
        return current
    return LineStatus.suspended if flags else LineStatus.active
