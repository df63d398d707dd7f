"""What case services refuse, each with a stable code the API and the portal render."""

from __future__ import annotations

from simexit.errors import Conflict, DomainError, InvalidInput, NotFound


class CaseNotFound(NotFound):
    code = "case_not_found"


class IdentityNotVerified(Conflict):
    code = "identity_not_verified"


class ConsentRequired(InvalidInput):
    code = "consent_required"


class VerificationMissing(Conflict):
    code = "verification_missing"


class MethodNotAllowed(InvalidInput):
    code = "verification_method_not_allowed"


class IdentityMethodRequired(InvalidInput):
    """The channel takes only the pack's listed methods (`identity_required`): `needed` names
    them, and the edge offers the first."""

    code = "identity_method_required"


class MrzInvalid(InvalidInput):
    """The machine-readable zone's check digits fail, it is no zone, or the document expired."""

    code = "mrz_invalid"


class DocumentMismatch(InvalidInput):
    """The document number given is not the one on file for the subscriber (its keyed hash)."""

    code = "document_mismatch"


class NumberReleased(Conflict):
    """The line's number went back to the pool: it is no longer this subscriber's to act on."""

    code = "line_number_released"


class TooLateToWithdraw(Conflict):
    code = "too_late_to_withdraw"


class RequestNotApplicable(InvalidInput):
    code = "request_not_applicable"


class ConcurrentChange(Conflict):
    code = "concurrent_change"


class CaseClosed(Conflict):
    """A closed case is nobody's work any more: it cannot be claimed or assigned."""

    code = "case_closed"


class AssigneeNotFound(InvalidInput):
    """The staff member named is not one of the case's operator's active staff."""

    code = "assignee_not_found"


__all__ = [
    "AssigneeNotFound",
    "CaseClosed",
    "CaseNotFound",
    "ConcurrentChange",
    "ConsentRequired",
    "DomainError",
    "IdentityNotVerified",
    "MethodNotAllowed",
    "RequestNotApplicable",
    "TooLateToWithdraw",
    "VerificationMissing",
]


class InvalidDueDate(InvalidInput):
    code = "information_due_date_invalid"


class InformationMissing(InvalidInput):
    code = "information_missing"


class UploadsUnavailable(Conflict):
    """No file store is configured in this process (the API always has one; a bare test may not)."""

    code = "uploads_unavailable"
