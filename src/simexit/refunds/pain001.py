"""A batch of refunds as an ISO 20022 credit-transfer initiation (pain.001.001.09). Pure.

One file is one `PmtInf` block: one debtor account (the operator's), one currency, one
requested execution date, and one `CdtTrfTxInf` per refund. Each refund's `EndToEndId` is its
payout id, which stays the same when a returned refund is paid again, so the bank can refuse a
duplicate. Creditor accounts are written as their scheme names them: an `IBAN`; a Norwegian
account number as `Othr` with scheme `BBAN`; a US account with the bank's ABA routing number
as clearing-system member (`USABA`); a Russian account with the bank's BIC as clearing-system
member (`RUCBC`, Bank of Russia). Card and line refunds are never in a file.

The document is checked against the official XSD (shipped by the `sepaxml` package) before it
is handed out: `validate` raises on any departure, so a file the bank would refuse is never
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources

from lxml import etree

from simexit.kit.money import Money
from simexit.refunds.destinations import Destination, DestinationKind

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SCHEMA_FILE = "pain.001.001.09.xsd"
_Q = f"{{{NAMESPACE}}}"


@dataclass(frozen=True, slots=True)
class Debtor:
    """The account refunds are paid from: the operator's, from its payments gateway."""

    name: str
    account: Destination  # an IBAN (with the BIC) or a national account form


@dataclass(frozen=True, slots=True)
class Transfer:
    end_to_end_id: str  # the payout id, at most 35 characters
    amount: Money
    creditor: Destination
    remittance: str  # what the payee sees, e.g. "Refund CASE-2026-000123"


@dataclass(frozen=True, slots=True)
class Batch:
    message_id: str  # unique per file, at most 35 characters
    created_at: datetime
    execution_date: date
    debtor: Debtor
    transfers: Sequence[Transfer]


class InvalidPaymentFile(ValueError):
    """The built document breaks the pain.001.001.09 schema: a defect, never sent."""


def build(batch: Batch) -> bytes:
    """The pain.001 document of the batch, as UTF-8 XML, checked against the XSD."""
    if not batch.transfers:
        raise ValueError("a payment file needs at least one transfer")
    currencies = {t.amount.currency for t in batch.transfers}
    if len(currencies) != 1:
        raise ValueError(f"one currency per file, got {sorted(currencies)}")
    total = sum((t.amount.decimal for t in batch.transfers), Decimal(0))
    count = str(len(batch.transfers))
    document = etree.Element(_Q + "Document", nsmap={None: NAMESPACE})
    root = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", batch.created_at.replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", _decimal(total))
    _sub(_sub(header, "InitgPty"), "Nm", _max(batch.debtor.name, 140))
    info = _sub(root, "PmtInf")
    _sub(info, "PmtInfId", batch.message_id)
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", count)
    _sub(info, "CtrlSum", _decimal(total))
    _sub(_sub(info, "ReqdExctnDt"), "Dt", batch.execution_date.isoformat())
    _sub(_sub(info, "Dbtr"), "Nm", _max(batch.debtor.name, 140))
    _account(info, "DbtrAcct", batch.debtor.account)
    _agent(info, "DbtrAgt", batch.debtor.account)
    _sub(info, "ChrgBr", "SLEV" if batch.debtor.account.kind is DestinationKind.iban else "SHAR")
    for transfer in batch.transfers:
        _transfer(info, transfer)
    data: bytes = etree.tostring(
        document, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    validate(data)
    return data


def _transfer(info: etree._Element, transfer: Transfer) -> None:
    creditor = transfer.creditor
    if creditor.kind not in {
        DestinationKind.iban,
        DestinationKind.no_account,
        DestinationKind.us_account,
        DestinationKind.ru_account,
    }:
        raise ValueError(f"a {creditor.kind.value} refund is not paid by credit transfer")
    item = _sub(info, "CdtTrfTxInf")
    _sub(_sub(item, "PmtId"), "EndToEndId", _max(transfer.end_to_end_id, 35))
    amount = _sub(_sub(item, "Amt"), "InstdAmt", transfer.amount.as_str())
    amount.set("Ccy", transfer.amount.currency)
    if creditor.kind is not DestinationKind.no_account:
        # A Norwegian account number names its bank in its first four digits.
        _agent(item, "CdtrAgt", creditor)
    _sub(_sub(item, "Cdtr"), "Nm", _max(creditor.holder_name, 140))
    _account(item, "CdtrAcct", creditor)
    _sub(_sub(item, "RmtInf"), "Ustrd", _max(transfer.remittance, 140))


def _account(parent: etree._Element, tag: str, account: Destination) -> None:
    identification = _sub(_sub(parent, tag), "Id")
    if account.kind is DestinationKind.iban:
        _sub(identification, "IBAN", account.account)
        return
    other = _sub(identification, "Othr")
    _sub(other, "Id", account.account)
    _sub(_sub(other, "SchmeNm"), "Cd", "BBAN")


def _agent(parent: etree._Element, tag: str, account: Destination) -> None:
    institution = _sub(_sub(parent, tag), "FinInstnId")
    if account.kind is DestinationKind.iban and account.bank_id:
        _sub(institution, "BICFI", account.bank_id)
        return
    clearing = {DestinationKind.us_account: "USABA", DestinationKind.ru_account: "RUCBC"}
    system = clearing.get(account.kind)
    if system is not None and account.bank_id:
        member = _sub(institution, "ClrSysMmbId")
        _sub(_sub(member, "ClrSysId"), "Cd", system)
        _sub(member, "MmbId", account.bank_id)
        return
    # The debtor's agent is required; a national account without a BIC says so as banks ask.
    _sub(_sub(institution, "Othr"), "Id", "NOTPROVIDED")


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _Q + tag)
    if text is not None:
        element.text = text
    return element


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _max(text: str, limit: int) -> str:
    return text[:limit]


@cache
def _schema() -> etree.XMLSchema:
    source = resources.files("sepaxml").joinpath("schemas", SCHEMA_FILE)
    with resources.as_file(source) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def validate(data: bytes) -> None:
    """Raise `InvalidPaymentFile` naming the first line and rule the document breaks."""
    schema = _schema()
    document = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    if not schema.validate(document):
        error = schema.error_log.last_error
        where = f"line {error.line}: {error.message}" if error is not None else "invalid"
        raise InvalidPaymentFile(f"pain.001 {where}")
