"""Case use cases, split by family. Each takes the session first, never commits, and leaves an
audit row (and its jobs) for every state change it makes."""

from simexit.cases.service.assignment import assign
from simexit.cases.service.eid import EidOutcome, finish_eid_check, start_eid_check
from simexit.cases.service.identity import verify_pin
from simexit.cases.service.information import (
    Upload,
    provide_information,
    request_information,
)
from simexit.cases.service.intake import (
    ConfirmResult,
    IssuedCode,
    OpenResult,
    VerificationOutcome,
    allowed_methods,
    attest_identity,
    confirm_verification,
    identity_required,
    open_case,
    preview,
    start_verification,
    submit,
)
from simexit.cases.service.review import approve, expire, reject, resubmit, retry, withdraw

__all__ = [
    "ConfirmResult",
    "EidOutcome",
    "IssuedCode",
    "OpenResult",
    "Upload",
    "VerificationOutcome",
    "allowed_methods",
    "approve",
    "assign",
    "attest_identity",
    "confirm_verification",
    "expire",
    "finish_eid_check",
    "identity_required",
    "open_case",
    "preview",
    "provide_information",
    "reject",
    "request_information",
    "resubmit",
    "retry",
    "start_eid_check",
    "start_verification",
    "submit",
    "verify_pin",
    "withdraw",
]
