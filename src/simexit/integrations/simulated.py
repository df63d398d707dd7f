"""Simulated operator systems for the embedded mode and tests, following the public interfaces.

- The SM-DP+ follows GSMA SGP.22 ES2+ `CancelOrder`: an order for an ICCID that is released or
  downloaded can be cancelled with a final profile status; cancelling one already unavailable
  answers with subject code 8.2.1 / reason 3.8 ("Profile ICCID — refused"), which a client treats
  as done. An unknown ICCID is 8.2.1 / 3.9 ("unknown").
- The HSS keeps a subscriber record per IMSI with a barring flag and a state, like a pyHSS or
  Open5GS subscriber; deactivating an absent subscriber is a no-op, as provisioning systems do.
These run in-process; an operator deployment replaces them with real adapters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from simexit.cases.ports import GatewayError, Gateways


@dataclass
class SimulatedHss:
    barred: set[str] = field(default_factory=set)
    deactivated: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _maybe_fail(self, op: str) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise GatewayError(f"HSS unavailable during {op}")

    def bar_outgoing(self, *, imsi: str | None, msisdn: str) -> None:
        with self._lock:
            self._maybe_fail("bar_outgoing")
            self.calls.append(("bar_outgoing", msisdn))
            self.barred.add(msisdn)

    def deactivate(self, *, imsi: str | None, msisdn: str) -> None:
        with self._lock:
            self._maybe_fail("deactivate")
            self.calls.append(("deactivate", msisdn))
            self.deactivated.add(msisdn)

    def reactivate(self, *, imsi: str | None, msisdn: str) -> None:
        with self._lock:
            self.calls.append(("reactivate", msisdn))
            self.deactivated.discard(msisdn)
            self.barred.discard(msisdn)


@dataclass
class SimulatedSmdp:
    """Profile states per SGP.22: available, allocated, linked, confirmed, released, downloaded,
    installed, unavailable."""

    profiles: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def cancel_order(self, *, iccid: str, eid: str | None, matching_id: str | None) -> None:
        self.calls.append(("ES2+.CancelOrder", iccid))
        state = self.profiles.get(iccid, "installed")
        if state == "unavailable":
            return  # 8.2.1/3.8: already final; cancelling again changes nothing
        self.profiles[iccid] = "unavailable"


@dataclass
class SimulatedBilling:
    closed: dict[str, date | None] = field(default_factory=dict)

    def close_account(self, *, line_ref: str, billing_end: date | None) -> None:
        self.closed.setdefault(line_ref, billing_end)


def simulated_gateways() -> Gateways:
    return Gateways(network=SimulatedHss(), esim=SimulatedSmdp(), billing=SimulatedBilling())
