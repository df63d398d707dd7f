"""Simulated operator systems for the embedded mode and tests, following the public interfaces.

- The SM-DP+ follows GSMA SGP.22 ES2+ `CancelOrder` loosely: an order for a profile not yet
  downloaded is cancelled; one downloaded or installed is refused (8.2.1 / 3.8,
  `ProfileNotCancellable`); cancelling again changes nothing; an ICCID it was not told about
  counts as released (a sandbox has no profile inventory). `order_profile` makes up a new
  released profile. The protocol-faithful one is the fake SM-DP+ of the tests.
- The HSS keeps a subscriber record per IMSI with a barring flag and a state, like a pyHSS or
  Open5GS subscriber; deactivating an absent subscriber is a no-op, as provisioning systems do.
- The OSS takes TMF641 service orders and completes them at once; an order whose `externalId`
  it already has is answered with the first order's id, as an idempotent TMF641 server does.
- The payment provider pays at once and keys payouts by simexit's payout id (the idempotency
  key of a card refund, pain.001's EndToEndId): the same payout twice is paid once.
- The identity provider follows OIDC's authorization code flow and signs everyone in at once:
  its "authorization page" is the return URL with a one-time `code` and the check id as `state`.
These run in-process, one set per operator; an operator deployment replaces them with real
adapters chosen in the gateways file (`SIMEXIT_GATEWAYS_FILE`), and production refuses them for
operators not marked `sandbox = true`.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from secrets import token_urlsafe
from urllib.parse import urlencode

from simexit.cases.ports import (
    BillingGateway,
    EsimGateway,
    GatewayError,
    Gateways,
    NetworkGateway,
    NewProfile,
    OssGateway,
    ProfileNotCancellable,
    ServiceOrder,
)
from simexit.refunds.destinations import Destination, DestinationKind
from simexit.refunds.pain001 import Debtor
from simexit.refunds.ports import PaymentGateway, Payout
from simexit.verification.ports import (
    CheckSecrets,
    IdentityCheckStart,
    IdentityNotProven,
    IdentityProvider,
    VerifiedIdentity,
)


@dataclass
class SimulatedHss:
    barred: set[str] = field(default_factory=set)
    deactivated: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _maybe_fail(self, op: str) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise GatewayError(f"HSS unavailable during {op}")

    def bar_outgoing(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        with self._lock:
            self._maybe_fail("bar_outgoing")
            self.calls.append(("bar_outgoing", msisdn))
            self.barred.add(msisdn)

    def deactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        with self._lock:
            self._maybe_fail("deactivate")
            self.calls.append(("deactivate", msisdn))
            self.deactivated.add(msisdn)

    def reactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        with self._lock:
            self._maybe_fail("reactivate")
            self.calls.append(("reactivate", msisdn))
            self.deactivated.discard(msisdn)
            self.barred.discard(msisdn)

    def remove(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        with self._lock:
            self._maybe_fail("remove")
            self.calls.append(("remove", msisdn))
            self.removed.add(msisdn)


@dataclass
class SimulatedSmdp:
    """Profile states per SGP.22: available, allocated, linked, confirmed, released, downloaded,
    installed, unavailable. A sandbox stand-in: an ICCID it was not told about counts as
    released (the protocol-faithful fake, `tests/fakes/smdp_plus.py`, answers 8.2.1/3.9)."""

    profiles: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, NewProfile] = field(default_factory=dict)

    def cancel_order(
        self, *, iccid: str, eid: str | None, matching_id: str | None, call_id: str
    ) -> None:
        self.calls.append(("ES2+.CancelOrder", iccid))
        state = self.profiles.get(iccid, "released")
        if state in {"downloaded", "installed"}:
            # SGP.22 §5.3.4: a profile already downloaded cannot be cancelled (8.2.1 / 3.8).
            raise ProfileNotCancellable(f"ES2+ CancelOrder Failed: 8.2.1 / 3.8 ({state})")
        self.profiles[iccid] = "unavailable"

    def order_profile(self, *, eid: str | None, call_id: str) -> NewProfile:
        known = self.answers.get(call_id)
        if known is not None:
            return known
        iccid = f"89470{len(self.answers) + 1:014d}"
        self.calls.append(("ES2+.DownloadOrder", iccid))
        self.calls.append(("ES2+.ConfirmOrder", iccid))
        self.profiles[iccid] = "released"
        profile = NewProfile(iccid, f"SIM-{len(self.answers) + 1:06d}", "smdp.simulated.invalid")
        self.answers[call_id] = profile
        return profile


@dataclass
class SimulatedBilling:
    closed: dict[str, date | None] = field(default_factory=dict)

    def close_account(
        self,
        *,
        line_ref: str,
        billing_end: date | None,
        call_id: str | None = None,  # a dict's setdefault is idempotent by itself
    ) -> None:
        self.closed.setdefault(line_ref, billing_end)


@dataclass
class SimulatedOss:
    """Service orders by `externalId`, each completed at once: {external id: (order id, order)}."""

    orders: dict[str, tuple[str, ServiceOrder]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def submit_service_order(self, order: ServiceOrder) -> str:
        with self._lock:
            known = self.orders.get(order.external_id)
            if known is not None:
                return known[0]
            order_id = f"SO-{len(self.orders) + 1:06d}"
            self.orders[order.external_id] = (order_id, order)
            return order_id


_CURRENCY = re.compile(r"[A-Z]{3}")


SIMULATED_DEBTOR = Debtor(
    name="Simulated operator (refund account)",
    account=Destination(DestinationKind.iban, "Simulated operator", "NO9386011117947", "DABANO22"),
)


@dataclass
class SimulatedPayments:
    """Payouts by payout id: {payout id: (reference, payout)}."""

    payouts: dict[str, tuple[str, Payout]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pay_out(self, payout: Payout) -> str:
        if payout.amount_minor <= 0:
            raise GatewayError("a payout must be a positive amount", retryable=False)
        if not _CURRENCY.fullmatch(payout.currency):
            raise GatewayError(f"{payout.currency!r} is not an ISO 4217 code", retryable=False)
        with self._lock:
            known = self.payouts.get(payout.payout_id)
            if known is not None:
                if known[1] != payout:  # as a provider refuses a reused idempotency key
                    raise GatewayError(
                        f"payout {payout.payout_id} was already made with other details",
                        retryable=False,
                    )
                return known[0]
            reference = f"SIMPAY-{len(self.payouts) + 1:06d}"
            self.payouts[payout.payout_id] = (reference, payout)
            return reference

    def debtor(self, currency: str) -> Debtor | None:
        # A sandbox pays refunds in every currency from one demo account (a valid IBAN).
        return SIMULATED_DEBTOR


@dataclass
class SimulatedIdentity:
    """Checks begun and not yet completed: {check id: (one-time code, login hint)}."""

    pending: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    completed: dict[str, VerifiedIdentity] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin_check(
        self,
        *,
        check_id: str,
        return_url: str,
        login_hint: str | None,
        secrets: CheckSecrets | None = None,
        acr_values: tuple[str, ...] = (),
    ) -> IdentityCheckStart:
        code = token_urlsafe(16)
        with self._lock:
            self.pending[check_id] = (code, login_hint)
        separator = "&" if "?" in return_url else "?"
        query = urlencode({"code": code, "state": check_id})
        return IdentityCheckStart(check_id=check_id, redirect_url=return_url + separator + query)

    def acr_for(self, method: str) -> tuple[str, ...]:
        return ("simulated",)

    def complete_check(
        self,
        *,
        check_id: str,
        response: Mapping[str, str],
        secrets: CheckSecrets | None = None,
        now: int = 0,
    ) -> VerifiedIdentity:
        if "error" in response:
            raise IdentityNotProven(f"the identity provider answered {response['error']}")
        if response.get("state") != check_id:
            raise IdentityNotProven("the answer belongs to another identity check (state)")
        with self._lock:
            pending = self.pending.get(check_id)
            if pending is None or response.get("code") != pending[0]:
                raise IdentityNotProven("unknown or already used authorization code")
            del self.pending[check_id]
            hint = pending[1] or check_id
            subject = "sim-" + hashlib.sha256(hint.encode()).hexdigest()[:16]
            identity = VerifiedIdentity(
                subject=subject,
                assurance="simulated",
                claims={},
                methods=("bankid", "gosuslugi", "id_porten"),
                simulated=True,
            )
            self.completed[check_id] = identity
            return identity


def simulated_gateways(
    *,
    network: NetworkGateway | None = None,
    esim: EsimGateway | None = None,
    oss: OssGateway | None = None,
    billing: BillingGateway | None = None,
    payments: PaymentGateway | None = None,
    identity: IdentityProvider | None = None,
) -> Gateways:
    """A fresh simulated set; tests pass the instances they want to look into."""
    return Gateways(
        network=SimulatedHss() if network is None else network,
        esim=SimulatedSmdp() if esim is None else esim,
        oss=SimulatedOss() if oss is None else oss,
        billing=SimulatedBilling() if billing is None else billing,
        payments=SimulatedPayments() if payments is None else payments,
        identity=SimulatedIdentity() if identity is None else identity,
    )
