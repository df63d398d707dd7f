"""ES2+ answers: the `functionExecutionStatus` every response carries (SGP.22 §5.3, §6.5.1.3)
and the subject/reason codes the client acts on (SGP.22 §5.2.6: subject codes name what the
status is about, reason codes why)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from simexit.cases.ports import GatewayError, ProfileNotCancellable

SUCCESS: Final = frozenset({"Executed-Success", "Executed-WithWarning"})
# SGP.22 §5.2.6.1 subject codes the client names in its errors.
SUBJECTS: Final[Mapping[str, str]] = {
    "8.1.1": "EID",
    "8.2.1": "Profile ICCID",
    "8.2.5": "Profile Type",
    "8.2.6": "Matching ID",
}
# SGP.22 §5.2.6.2 reason codes.
REASONS: Final[Mapping[str, str]] = {
    "1.1": "mandatory element missing",
    "2.1": "invalid",
    "2.2": "format error",
    "3.7": "unavailable",
    "3.8": "refused",
    "3.9": "unknown",
    "3.10": "invalid association",
    "4.2": "execution error",
}
PROFILE_ICCID: Final = "8.2.1"
REFUSED: Final = "3.8"
# "Execution error" is the SM-DP+'s own trouble: the same call may succeed later.
RETRYABLE_REASONS: Final = frozenset({"4.2"})


class Es2PlusFailed(GatewayError):
    """The SM-DP+ executed the function and answered `Failed` (or `Expired`)."""

    def __init__(
        self, function: str, *, subject: str, reason: str, message: str | None, status: str
    ) -> None:
        self.function, self.subject, self.reason = function, subject, reason
        what = SUBJECTS.get(subject, "subject")
        why = REASONS.get(reason, "reason")
        text = f"ES2+ {function} {status}: {subject} ({what}) / {reason} ({why})"
        if message:
            text += f": {message}"
        super().__init__(text, retryable=status == "Expired" or reason in RETRYABLE_REASONS)


class CancelRefused(Es2PlusFailed, ProfileNotCancellable):
    """CancelOrder refused for the profile's state (8.2.1 / 3.8, SGP.22 §5.3.4): the profile
    was downloaded or installed on a device, or is already final."""


@dataclass(frozen=True, slots=True)
class ExecutionStatus:
    status: str
    subject: str | None = None
    reason: str | None = None
    message: str | None = None


def execution_status(body: Any) -> ExecutionStatus | None:
    """`header.functionExecutionStatus` of an answer, or None when it has none (not ES2+)."""
    if not isinstance(body, dict):
        return None
    header = body.get("header")
    status = header.get("functionExecutionStatus") if isinstance(header, dict) else None
    if not isinstance(status, dict) or not isinstance(status.get("status"), str):
        return None
    data = status.get("statusCodeData")
    data = data if isinstance(data, dict) else {}
    return ExecutionStatus(
        status=status["status"],
        subject=_text(data.get("subjectCode")),
        reason=_text(data.get("reasonCode")),
        message=_text(data.get("message")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def raise_for_status(function: str, status: ExecutionStatus) -> None:
    if status.status in SUCCESS:
        return
    failure = CancelRefused if _not_cancellable(function, status) else Es2PlusFailed
    raise failure(
        function,
        subject=status.subject or "?",
        reason=status.reason or "?",
        message=status.message,
        status=status.status,
    )


def _not_cancellable(function: str, status: ExecutionStatus) -> bool:
    return function == "CancelOrder" and (status.subject, status.reason) == (
        PROFILE_ICCID,
        REFUSED,
    )
