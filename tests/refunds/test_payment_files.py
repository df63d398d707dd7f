"""pain.001 files checked against the official ISO 20022 XSD, and pain.002 answers read (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from simexit.kit.money import Money
from simexit.refunds.destinations import Destination, DestinationKind
from simexit.refunds.pain001 import (
    NAMESPACE,
    Batch,
    Debtor,
    InvalidPaymentFile,
    Transfer,
    build,
    validate,
)
from simexit.refunds.status_reports import InvalidStatusReport, Outcome, parse

DEBTOR = Debtor(
    "Telenor Norge AS",
    Destination(DestinationKind.iban, "Telenor Norge AS", "NO9386011117947", "DABANO22"),
)
NO_ACCOUNT = Destination(DestinationKind.no_account, "Kari Nordmann", "86011117947")
US_ACCOUNT = Destination(DestinationKind.us_account, "Jo Doe", "000123456789", "111000025")
RU_ACCOUNT = Destination(
    DestinationKind.ru_account, "Иван Петров", "40702810438000034726", "044525225"
)
NS = {"p": NAMESPACE}


def _batch(*transfers: Transfer) -> Batch:
    return Batch("SX1", datetime(2026, 12, 4, 12, tzinfo=UTC), date(2026, 12, 7), DEBTOR, transfers)


def test_a_file_of_every_account_form_is_valid_and_sums_its_amounts() -> None:
    document = build(
        _batch(
            Transfer("a" * 32, Money(39900, "NOK"), NO_ACCOUNT, "Refund NO-2026-000001"),
            Transfer("b" * 32, Money(1, "NOK"), US_ACCOUNT, "Refund 2"),
            Transfer("c" * 32, Money(65000, "NOK"), RU_ACCOUNT, "Refund 3"),
        )
    )
    tree = etree.fromstring(document)
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "1049.01"
    amounts = tree.findall(".//p:InstdAmt", namespaces=NS)
    assert [(a.text, a.get("Ccy")) for a in amounts] == [
        ("399.00", "NOK"),
        ("0.01", "NOK"),
        ("650.00", "NOK"),
    ]
    members = [m.text for m in tree.findall(".//p:ClrSysMmbId/p:MmbId", namespaces=NS)]
    assert members == ["111000025", "044525225"]
    assert tree.findtext(".//p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == "86011117947"
    assert "Иван Петров" in document.decode()


def test_the_schema_check_refuses_what_the_xsd_refuses() -> None:
    document = build(_batch(Transfer("e2e", Money(100, "NOK"), NO_ACCOUNT, "Refund")))
    validate(document)
    broken = document.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>CASH</PmtMtd>")
    with pytest.raises(InvalidPaymentFile, match="PmtMtd"):
        validate(broken)
    reordered = document.replace(b"<MsgId>SX1</MsgId>", b"")
    with pytest.raises(InvalidPaymentFile):
        validate(reordered)


def test_one_currency_per_file_and_never_a_card_or_a_line() -> None:
    with pytest.raises(ValueError, match="one currency"):
        build(
            _batch(
                Transfer("a", Money(1, "NOK"), NO_ACCOUNT, "R"),
                Transfer("b", Money(1, "USD"), US_ACCOUNT, "R"),
            )
        )
    card = Destination(DestinationKind.card, "J", "tok_1234")
    with pytest.raises(ValueError, match="card"):
        build(_batch(Transfer("a", Money(1, "NOK"), card, "R")))
    with pytest.raises(ValueError, match="at least one"):
        build(_batch())


def status_report(
    original: str, *transactions: tuple[str, str, str | None], group: str = "PART"
) -> bytes:
    items = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else "")
        + "</TxInfAndSts>"
        for e2e, status, reason in transactions
    )
    return (
        '<?xml version="1.0"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANK-1</MsgId><CreDtTm>2026-12-08T09:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>{group}</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original}</OrgnlPmtInfId>{items}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def test_a_status_report_gives_each_transfer_its_outcome_and_reason() -> None:
    report = parse(
        status_report("SX1", ("a", "ACSC", None), ("b", "RJCT", "AC04"), ("c", "ACSP", None))
    )
    assert report.original_message_id == "SX1"
    assert [(t.end_to_end_id, t.outcome, t.reason) for t in report.transfers] == [
        ("a", Outcome.settled, None),
        ("b", Outcome.returned, "AC04"),
        ("c", Outcome.pending, None),
    ]
    assert not report.rejects_whole_file
    assert parse(status_report("SX1", group="RJCT")).rejects_whole_file


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not xml", "well-formed"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>', "pain.002"),
        (status_report("SX1", ("a", "WHAT", None)), "unknown transaction status"),
        (status_report("SX1", ("", "ACSC", None)), "OrgnlEndToEndId"),
    ],
)
def test_anything_else_is_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidStatusReport, match=message):
        parse(data)


def test_entities_are_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + status_report("&b;", ("a", "ACSC", None)).split(b"?>", 1)[1]
    )
    with pytest.raises(InvalidStatusReport):
        parse(bomb)
