"""Errors of provisioning."""

from __future__ import annotations

from simexit.errors import Conflict, InvalidFields, InvalidInput, NotFound
from simexit.provisioning.rules import FieldProblem


class SubscriberNotFound(NotFound):
    code = "subscriber_not_found"


class ExternalIdTaken(Conflict):
    code = "external_id_taken"


class IccidTaken(Conflict):
    code = "iccid_taken"


class OperatorRequired(InvalidInput):
    """A platform-wide caller (the CLI, the system) must say which operator it provisions for."""

    code = "operator_required"


def invalid(problems: list[FieldProblem], *, prefix: str = "body") -> InvalidFields:
    return InvalidFields(
        [(p.field, p.rule, p.detail, dict(p.params)) for p in problems], prefix=prefix
    )
