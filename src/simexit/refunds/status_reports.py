"""A bank's answer to a payment file: an ISO 20022 payment status report (pain.002). Pure.

Read by element names whatever the message version (pain.002.001.03 to .12 share them): the
original message id, the group status, and per transfer its original `EndToEndId`, its status
and the reason code. What each status means for a refund (ISO 20022 external code set,
ExternalPaymentTransactionStatus1Code):

- `ACSC` settlement completed, `ACCC` credited to the creditor, `ACWC` accepted with a change:
  the refund is paid (settled);
- `RJCT` rejected (with a reason such as `AC01` incorrect account number, `AC04` closed
  account): the refund is returned and waits for a new destination;
- `ACTC`, `ACCP`, `ACSP`, `PDNG`, `RCVD`, `PART`: still on its way; nothing changes.

A group status `RJCT` with no transfer lines rejects every transfer of the original file.
Anything that is not such a document is refused with the reason (`InvalidStatusReport`); the
parser resolves no entities and loads no DTD.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from lxml import etree


class Outcome(StrEnum):
    settled = "settled"
    returned = "returned"
    pending = "pending"


SETTLED: Final = frozenset({"ACSC", "ACCC", "ACWC"})
REJECTED: Final = frozenset({"RJCT"})
PENDING: Final = frozenset({"ACTC", "ACCP", "ACSP", "PDNG", "RCVD", "PART", "ACWP"})


@dataclass(frozen=True, slots=True)
class TransferStatus:
    end_to_end_id: str
    status: str
    outcome: Outcome
    reason: str | None  # e.g. "AC01"; None when the bank gave none


@dataclass(frozen=True, slots=True)
class StatusReport:
    message_id: str
    original_message_id: str
    group_status: str | None
    transfers: tuple[TransferStatus, ...]

    @property
    def rejects_whole_file(self) -> bool:
        return self.group_status in REJECTED and not self.transfers


class InvalidStatusReport(ValueError):
    pass


_MAX_BYTES: Final = 20 * 1024 * 1024


def parse(data: bytes) -> StatusReport:
    if len(data) > _MAX_BYTES:
        raise InvalidStatusReport("the status report is larger than 20 MB")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise InvalidStatusReport(f"not well-formed XML: {error}") from None
    namespace = etree.QName(document).namespace or ""
    if not namespace.startswith("urn:iso:std:iso:20022:tech:xsd:pain.002."):
        raise InvalidStatusReport(
            f"not a pain.002 payment status report (namespace {namespace or 'none'})"
        )
    report = _one(document, "CstmrPmtStsRpt")
    group = _one(report, "OrgnlGrpInfAndSts")
    transfers = tuple(_transfer(item) for item in report.iter(f"{{{namespace}}}TxInfAndSts"))
    return StatusReport(
        message_id=_text(_one(_one(report, "GrpHdr"), "MsgId")),
        original_message_id=_text(_one(group, "OrgnlMsgId")),
        group_status=_optional_text(group, "GrpSts"),
        transfers=transfers,
    )


def _transfer(item: etree._Element) -> TransferStatus:
    end_to_end = _optional_text(item, "OrgnlEndToEndId")
    status = _optional_text(item, "TxSts")
    if not end_to_end or not status:
        raise InvalidStatusReport("a TxInfAndSts without OrgnlEndToEndId or TxSts")
    reason = None
    for element in item.iter(etree.Element):
        if etree.QName(element).localname == "Cd" and _parent_name(element) == "Rsn":
            reason = (element.text or "").strip() or None
            break
    return TransferStatus(end_to_end, status, _outcome(status), reason)


def _outcome(status: str) -> Outcome:
    if status in SETTLED:
        return Outcome.settled
    if status in REJECTED:
        return Outcome.returned
    if status in PENDING:
        return Outcome.pending
    raise InvalidStatusReport(f"unknown transaction status {status!r}")


def _parent_name(element: etree._Element) -> str:
    parent = element.getparent()
    return etree.QName(parent).localname if parent is not None else ""


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [
        child
        for child in parent.iterchildren(etree.Element)
        if etree.QName(child).localname == name
    ]


def _one(parent: etree._Element, name: str) -> etree._Element:
    found = _children(parent, name)
    if len(found) != 1:
        raise InvalidStatusReport(f"expected one {name} in {etree.QName(parent).localname}")
    return found[0]


def _optional_text(parent: etree._Element, name: str) -> str | None:
    found = _children(parent, name)
    return _text(found[0]) if found else None


def _text(element: etree._Element) -> str:
    value = (element.text or "").strip()
    if not value:
        raise InvalidStatusReport(f"{etree.QName(element).localname} is empty")
    return value
