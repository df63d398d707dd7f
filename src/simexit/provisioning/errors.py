"""Errors of provisioning."""

from __future__ import annotations

from simexit.errors import Conflict, InvalidInput, NotFound
from simexit.kit.problems import invalid

__all__ = ["ExternalIdTaken", "IccidTaken", "OperatorRequired", "SubscriberNotFound", "invalid"]


class SubscriberNotFound(NotFound):
    code = "subscriber_not_found"


class ExternalIdTaken(Conflict):
    code = "external_id_taken"


class IccidTaken(Conflict):
    code = "iccid_taken"


class OperatorRequired(InvalidInput):
    """A platform-wide caller (the CLI, the system) must say which operator it provisions for."""

    code = "operator_required"
