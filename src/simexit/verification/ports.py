"""What an identity check by a national eID needs from outside simexit: the port an OpenID
Connect provider (BankID, ID-porten, ESIA) fills. Adapters live in `integrations/`.

The check is a redirect round trip, as in OIDC's authorization code flow: `begin_check` gives the
address to send the subscriber to (the provider's authorization endpoint, with simexit's check
id as `state`), and `complete_check` takes the parameters the provider sent the subscriber back
with (`code` and `state`, or `error`) and returns who the provider says they are.

The `nonce` and the PKCE `code_verifier` of a check are derived by simexit from its secret and
the check id (`simexit.verification.eid`), so nothing of them is stored between the two calls.
Both calls may reach the provider (discovery, token endpoint, JWKS): callers make them outside
any write transaction."""

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
class CheckSecrets:
    """What binds one check's answer to its request: OIDC `nonce` and the PKCE verifier."""

    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    subject: str  # the provider's stable id for the person (OIDC `sub`)
    assurance: str | None = None  # the level of assurance (OIDC `acr`, e.g. eIDAS "high")
    claims: Mapping[str, str] = field(default_factory=dict)  # what the provider released
    # The pack identity methods this assurance satisfies, from the adapter's configuration.
    methods: tuple[str, ...] = ()
    # The national identity number the provider vouched for; compared, never stored nor logged.
    national_id: str | None = field(default=None, repr=False)
    # From the simulated provider (sandbox operators only): proves no national number.
    simulated: bool = False


class IdentityProvider(Protocol):
    """Raises `simexit.errors.GatewayError` when the provider cannot be reached or fails."""

    def begin_check(
        self,
        *,
        check_id: str,
        return_url: str,
        login_hint: str | None,
        secrets: CheckSecrets,
        acr_values: tuple[str, ...] = (),
    ) -> IdentityCheckStart: ...

    def complete_check(
        self, *, check_id: str, response: Mapping[str, str], secrets: CheckSecrets, now: int
    ) -> VerifiedIdentity:
        """`now` in epoch seconds: the ID token's `exp` and `iat` are checked against it."""
        ...

    def acr_for(self, method: str) -> tuple[str, ...]:
        """The `acr` values that satisfy a pack method, to ask the provider for."""
        ...
