"""All ORM models, one file per aggregate; importing this package registers every table."""

from simexit.models.access import ApiKey, IdempotencyKey, StaffUser
from simexit.models.audit_event import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditSeal,
    AuditUnsealed,
)
from simexit.models.case import Case, ReferenceCounter
from simexit.models.job import Job, JobStatus
from simexit.models.line import Line
from simexit.models.operator import Operator, Reseller, WebhookEndpoint
from simexit.models.settlement import LedgerEntry, PortOut, TeardownStep
from simexit.models.subscriber import ErasureRequest, Subscriber
from simexit.models.verification import Verification

__all__ = [
    "ApiKey",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditSeal",
    "AuditUnsealed",
    "Case",
    "ErasureRequest",
    "IdempotencyKey",
    "Job",
    "JobStatus",
    "LedgerEntry",
    "Line",
    "Operator",
    "PortOut",
    "ReferenceCounter",
    "Reseller",
    "StaffUser",
    "Subscriber",
    "TeardownStep",
    "Verification",
    "WebhookEndpoint",
]

from simexit.models.notification import (
    Notification,
    NotificationDelivery,
    WebhookAttempt,
    WebhookDelivery,
)

__all__ += ["Notification", "NotificationDelivery", "WebhookAttempt", "WebhookDelivery"]

from simexit.models.rate_limit import RateLimitCounter  # noqa: E402

__all__ += ["RateLimitCounter"]

from simexit.models.web_session import LoginChallenge, SignInFailure, WebSession  # noqa: E402

__all__ += ["LoginChallenge", "SignInFailure", "WebSession"]

from simexit.models.data_import import DataImport, ImportChunk, ImportRejection  # noqa: E402

__all__ += ["DataImport", "ImportChunk", "ImportRejection"]

from simexit.models.test_clock import TestClock  # noqa: E402

__all__ += ["TestClock"]

from simexit.models.tmf_order import (  # noqa: E402
    TmfMessage,
    TmfOrder,
    TmfOrderCancellation,
    TmfOrderCase,
)

__all__ += ["TmfMessage", "TmfOrder", "TmfOrderCancellation", "TmfOrderCase"]

from simexit.models.payout import Payout, PayoutBatch, RefundDestination  # noqa: E402

__all__ += ["Payout", "PayoutBatch", "RefundDestination"]

from simexit.models.campaign import Campaign, CampaignLine  # noqa: E402

__all__ += ["Campaign", "CampaignLine"]
from simexit.models.attachment import Attachment, InformationRequest  # noqa: E402

__all__ += ["Attachment", "InformationRequest"]

from simexit.models.retention import RetentionAcceptance  # noqa: E402

__all__ += ["RetentionAcceptance"]
