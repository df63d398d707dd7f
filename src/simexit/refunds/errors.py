"""Refusals of the refunds domain, each with a stable code the edges translate."""

from __future__ import annotations

from simexit.errors import Conflict, DomainError, InvalidInput, NotFound


class CaseNotFound(NotFound):
    code = "case_not_found"


class OperatorNotFound(NotFound):
    code = "operator_not_found"


class NoRefundOwed(Conflict):
    code = "no_refund_owed"


class PayoutAlreadySent(Conflict):
    code = "payout_already_sent"


class NothingToPay(Conflict):
    code = "nothing_to_pay"


class NoDebtorAccount(Conflict):
    """The operator's payments gateway names no account to pay refunds from."""

    code = "no_debtor_account"


class BatchNotFound(NotFound):
    code = "payout_batch_not_found"


class InvalidStatusReportFile(InvalidInput):
    code = "invalid_status_report"


class UnsupportedReportType(DomainError):
    code = "unsupported_media_type"
    status = 415


class ReportTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
