"""What an identity check by a national eID needs from outside simexit: the port an OpenID
Connect provider (BankID, ID-porten, ESIA) fills. Adapters live in `integrations/`.

The check is a redirect round trip, as in OIDC's authorization code flow: `begin_check` gives the
address to send the subscriber to (the provider's authorization endpoint, with simexit's check
id as `state`), and `complete_check` takes the parameters the provider sent the subscriber back
with (`code` and `state`, or `error`) and returns who the provider says they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class IdentityNotProven(Exception):
    """The subscriber did not prove who they are: they cancelled, the answer does not belong to
    this check, or the provider refused. Not a gateway failure, so not retried."""


@dataclass(frozen=True, slots=True)
class IdentityCheckStart:
    check_id: str
    redirect_url: str  # where the subscriber goes to sign in with the provider


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    subject: str  # the provider's stable id for the person (OIDC `sub`)
    assurance: str | None = None  # the level of assurance (OIDC `acr`, e.g. eIDAS "high")
    claims: Mapping[str, str] = field(default_factory=dict)  # what the provider released


class IdentityProvider(Protocol):
    """Raises `simexit.errors.GatewayError` when the provider cannot be reached or fails."""

    def begin_check(
        self, *, check_id: str, return_url: str, login_hint: str | None
    ) -> IdentityCheckStart: ...

    def complete_check(self, *, check_id: str, response: Mapping[str, str]) -> VerifiedIdentity: ...
