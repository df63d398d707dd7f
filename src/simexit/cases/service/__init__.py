"""Case use cases, split by family. Each takes the session first, never commits, and leaves an
audit row (and its jobs) for every state change it makes."""

from simexit.cases.service.assignment import assign
from simexit.cases.service.intake import (
    ConfirmResult,
    IssuedCode,
    OpenResult,
    VerificationOutcome,
    attest_identity,
    confirm_verification,
    open_case,
    preview,
    start_verification,
    submit,
)
from simexit.cases.service.review import approve, expire, reject, resubmit, retry, withdraw

__all__ = [
    "ConfirmResult",
    "IssuedCode",
    "OpenResult",
    "VerificationOutcome",
    "approve",
    "assign",
    "attest_identity",
    "confirm_verification",
    "expire",
    "open_case",
    "preview",
    "reject",
    "resubmit",
    "retry",
    "start_verification",
    "submit",
    "withdraw",
]
