"""The network port (`cases.ports.NetworkGateway`) on osmo-hlr, through its CTRL interface.

* bar (`bar_outgoing`) and termination (`deactivate`): `ps-enabled` and `cs-enabled` set to 0
  on `subscriber.by-msisdn-<N>`, so the subscriber can neither attach for data nor for calls;
* resumption and reactivation (`reactivate`): both set to 1 again (a subscriber deleted in the
  meantime is created again from its IMSI, with its MSISDN);
* release of the number after quarantine (`remove`): `subscriber.delete <IMSI>`.

Every operation is idempotent, as the teardown's crash safety needs: setting a flag to the value
it has is answered OK, and deleting a subscriber that is gone is counted as done. osmo-hlr keeps
MSISDNs without the `+` of E.164. One short TCP connection per operation, each read and write
bound by `timeout_seconds`, which is kept well under the job lease (30 s or more).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final, TypeVar

from pydantic import Field

from simexit.cases.ports import GatewayError
from simexit.integrations.osmo_hlr.ctrl import CtrlConnection, CtrlError
from simexit.operators.gateways import AdapterOptions

CTRL_PORT: Final = 4259  # osmo-hlr's CTRL port (fixed; the address is configurable)
NO_SUCH_SUBSCRIBER: Final = ("No such subscriber", "Subscriber doesn't exist")
T = TypeVar("T")


class OsmoHlrOptions(AdapterOptions):
    host: str = Field(min_length=1)
    port: Annotated[int, Field(ge=1, le=65535)] = CTRL_PORT
    timeout_seconds: Annotated[float, Field(gt=0, le=20)] = 5.0


class SubscriberUnknown(GatewayError):
    def __init__(self, msisdn: str) -> None:
        super().__init__(f"osmo-hlr: no subscriber with MSISDN {msisdn}", retryable=False)


def hlr_msisdn(msisdn: str) -> str:
    """E.164 as osmo-hlr stores it: digits only."""
    digits = msisdn.removeprefix("+")
    if not digits.isdigit():
        raise GatewayError(f"osmo-hlr: {msisdn!r} is not an E.164 number", retryable=False)
    return digits


def _missing(error: CtrlError) -> bool:
    return error.reason.rstrip(".") in NO_SUCH_SUBSCRIBER


class OsmoHlrClient:
    def __init__(self, options: OsmoHlrOptions) -> None:
        self.options = options

    # -- the port ------------------------------------------------------------------------------

    # The subscriber is addressed by MSISDN (`subscriber.by-msisdn-<N>`); the IMSI is needed
    # only to create one again.

    def bar_outgoing(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        self._set_enabled(msisdn, enabled=False, absent_ok=False)

    def deactivate(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        # A subscriber the HLR does not have cannot be served: the end state already holds.
        self._set_enabled(msisdn, enabled=False, absent_ok=True)

    def reactivate(
        self,
        *,
        imsi: str | None,
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        number = hlr_msisdn(msisdn)

        def run(ctrl: CtrlConnection) -> None:
            if self._info(ctrl, number) is None:
                if not imsi:
                    raise SubscriberUnknown(msisdn)
                ctrl.set("subscriber.create", imsi)
                ctrl.set(f"subscriber.by-imsi-{imsi}.msisdn", number)
            for service in ("ps-enabled", "cs-enabled"):
                ctrl.set(f"subscriber.by-msisdn-{number}.{service}", "1")

        self._run("reactivate", run)

    def remove(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002 - read from the HLR
    ) -> None:
        number = hlr_msisdn(msisdn)

        def run(ctrl: CtrlConnection) -> None:
            info = self._info(ctrl, number)
            if info is None:
                return  # already gone: deleting is idempotent
            try:
                ctrl.set("subscriber.delete", info["imsi"])
            except CtrlError as error:
                if not _missing(error):
                    raise

        self._run("remove", run)

    # -- reads, for operators' checks and the tests -----------------------------------------------

    def subscriber(self, msisdn: str) -> dict[str, str] | None:
        """osmo-hlr's `info` of the subscriber (`imsi`, `msisdn`, `nam_cs`, `nam_ps`, ...)."""
        number = hlr_msisdn(msisdn)
        return self._run("info", lambda ctrl: self._info(ctrl, number))

    # -- plumbing ------------------------------------------------------------------------------

    def _set_enabled(self, msisdn: str, *, enabled: bool, absent_ok: bool) -> None:
        number = hlr_msisdn(msisdn)

        def run(ctrl: CtrlConnection) -> None:
            try:
                for service in ("ps-enabled", "cs-enabled"):
                    ctrl.set(f"subscriber.by-msisdn-{number}.{service}", "1" if enabled else "0")
            except CtrlError as error:
                if _missing(error) and absent_ok:
                    return
                if _missing(error):
                    raise SubscriberUnknown(msisdn) from None
                raise

        self._run("disable" if not enabled else "enable", run)

    @staticmethod
    def _info(ctrl: CtrlConnection, number: str) -> dict[str, str] | None:
        try:
            text = ctrl.get(f"subscriber.by-msisdn-{number}.info")
        except CtrlError as error:
            if _missing(error):
                return None
            raise
        fields = (line.split("\t", 1) for line in text.splitlines() if "\t" in line)
        return {pair[0]: pair[1] for pair in fields}

    def _run(self, operation: str, work: Callable[[CtrlConnection], T]) -> T:
        options = self.options
        try:
            with CtrlConnection(
                options.host, options.port, timeout=options.timeout_seconds
            ) as ctrl:
                return work(ctrl)
        except GatewayError:
            raise
        except CtrlError as error:
            raise GatewayError(f"osmo-hlr refused {operation}: {error.reason}") from None
        except (OSError, TimeoutError) as error:
            raise GatewayError(
                f"osmo-hlr at {options.host}:{options.port} unreachable during {operation}: "
                f"{type(error).__name__}: {error}"
            ) from None
