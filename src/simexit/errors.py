"""Domain errors. No web framework here: `status` is a plain int that the edges read."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A refusal the caller can act on: a stable `code`, an HTTP-ish `status`, and context.

    `field` names the offending input where there is one, so that API and forms can point at it.
    """

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, field: str | None = None, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.context = context


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class ConfigurationError(Exception):
    """Settings or packs that cannot be used; raised at start-up, never per request."""


class GatewayError(Exception):
    """A remote system refused or failed; `retryable` tells whether trying again can help.

    Every port (network, eSIM, OSS, billing, payments, identity) raises it, so the flows that call
    several of them handle one kind of failure."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class InvalidFields(InvalidInput):
    """Several fields refused at once, each with the rule it broke (provisioning, imports).

    `problems` holds `(field, rule, detail, params)`: the API lists them in `errors[]`, each
    `detail` in the caller's language by its rule."""

    code = "validation_failed"

    def __init__(
        self, problems: list[tuple[str, str, str, dict[str, str]]], *, prefix: str = "body"
    ) -> None:
        first = problems[0] if problems else ("", "invalid", "is invalid", {})
        super().__init__(f"{first[0]} {first[2]}", field=f"{prefix}.{first[0]}")
        self.problems = [
            (f"{prefix}.{f}", rule, detail, params) for f, rule, detail, params in problems
        ]
