"""Line states and suspension flags. Pure."""

from __future__ import annotations

from enum import StrEnum

# One definition: the policy engine reads a line's status as one of its facts.
from simexit.policies.model import LineStatus

__all__ = ["LIVE", "LineStatus", "SuspensionFlag", "status_for_flags", "suspensions_in_year"]


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


# A line that still has a contract: counted against per-person SIM limits.
LIVE = frozenset({LineStatus.active, LineStatus.suspended, LineStatus.pending_termination})


def suspensions_in_year(count: int, *, counted_year: int | None, year: int | None) -> int:
    """The line's suspensions in `year`: its counter is for `counted_year` (None: a count given
    by the operator's BSS, taken as the current year's), so a count of an earlier year is 0."""
    if counted_year is None or year is None or counted_year == year:
        return count
    return 0


# GSMA SGP.22 ES2+ HandleDownloadProgressInfo (§5.3.5): the step of the download a notice is
# about (`notificationPointId`). A step that succeeded and says where the profile now is gives
# the line's eSIM event; any other notice is recorded as progress only.
DOWNLOAD_POINTS: dict[int, str] = {
    1: "eligibility_check",
    2: "confirmation_failure",
    3: "bpp_download",
    4: "bpp_installation",
}
POINT_EVENTS: dict[int, str] = {3: "downloaded", 4: "installed"}
EXECUTED = frozenset({"Executed-Success", "Executed-WithWarning"})


def download_progress_event(point: int, status: str) -> str:
    """The eSIM event of a download progress notice: `downloaded`, `installed`,
    `download_failed` (a step failed or expired), or `download_progress`."""
    if status not in EXECUTED:
        return "download_failed"
    return POINT_EVENTS.get(point, "download_progress")
