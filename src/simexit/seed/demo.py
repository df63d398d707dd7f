"""Demo operators (NO, US, RU), subscribers and about fifty lines covering every situation the
policy engine distinguishes: prepaid and postpaid, data-only and eSIM, balances with bonus credit,
unpaid bills, commitments with device instalments, a pending port, a suspended line, a line
terminated inside its reactivation window.

Dates are relative to `today`, so the demo tells the same story whenever it is seeded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from simexit.access.keys import hash_api_key, new_api_key
from simexit.lines.situations import situation
from simexit.models import ApiKey, Line, Operator, Reseller, StaffUser, Subscriber
from simexit.policies.loader import PackRegistry
from simexit.policies.model import LineKind, Plan

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed on first start, local demo only


@dataclass(frozen=True)
class DemoOperator:
    code: str
    name: str
    pack: str
    prefix: str
    dial: str  # national mobile number prefix, E.164 without the +
    iccid_prefix: str  # 89 + country code + issuer


OPERATORS = (
    DemoOperator("telenor-no", "Telenor Norge", "no/telenor", "NO", "474", "894701"),
    DemoOperator("telia-no", "Telia Norge", "no/telia", "NOT", "479", "894702"),
    DemoOperator("ice-no", "Ice", "no/ice", "NOI", "4746", "894714"),
    DemoOperator("att-us", "AT&T Mobility", "us/att", "US", "1415555", "890141"),
    DemoOperator("verizon-us", "Verizon Wireless", "us/verizon", "USV", "1212555", "891480"),
    DemoOperator("tmobile-us", "T-Mobile USA", "us/tmobile", "UST", "1206555", "890126"),
    DemoOperator("mts-ru", "MTS", "ru/mts", "RU", "7916", "897010"),
    DemoOperator("megafon-ru", "MegaFon", "ru/megafon", "RUM", "7926", "897002"),
    DemoOperator("beeline-ru", "Beeline", "ru/beeline", "RUB", "7903", "897099"),
    DemoOperator("t2-ru", "T2", "ru/t2", "RUT", "7952", "897020"),
)

# Digits of an E.164 mobile number after the "+", per country.
NUMBER_DIGITS = {"NO": 10, "US": 11, "RU": 11}
MCC = {"NO": "242", "US": "310", "RU": "250"}

# (name, language, region) per country; several subscribers are Chinese speakers abroad.
PEOPLE: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "NO": (
        ("Li Wei", "zh", None),
        ("Ingrid Hansen", "nb", None),
        ("Ola Nordmann", "nb", None),
        ("Anna Smith", "en", None),
    ),
    "US": (
        ("Zhang Min", "zh", "CA"),
        ("John Carter", "en", "NY"),
        ("Maria Lopez", "en", "CA"),
        ("Chen Jie", "zh", "WA"),
    ),
    "RU": (
        ("Иван Петров", "ru", "MOW"),
        ("Wang Fang", "zh", "SPE"),
        ("Ольга Смирнова", "ru", "MOW"),
        ("Alex Brown", "en", "MOW"),
    ),
}


@dataclass
class LineSpec:
    kind: str
    plan: str
    balance: int = 0
    bonus: int = 0
    unpaid: int = 0
    instalments: int = 0
    commitment_months_ago: int | None = None
    commitment_months: int = 24
    commitment_kind: str | None = None
    monthly_fee: int | None = None
    topup_days_ago: int | None = None
    port_pending: bool = False
    suspended: bool = False
    terminated_days_ago: int | None = None
    linked: list[str] = field(default_factory=list)
    signed_up: str = "online"
    product: str = ""


def _specs(country: str) -> list[LineSpec]:
    fee = {"NO": 39900, "US": 6500, "RU": 65000}[country]
    return [
        LineSpec(
            "physical_sim",
            "postpaid",
            monthly_fee=fee,
            linked=["autopay_card", "two_factor"],
            product="Mobile 20GB",
        ),
        LineSpec(
            "esim",
            "postpaid",
            monthly_fee=fee,
            commitment_months_ago=7,
            commitment_kind="smartphone",
            instalments=fee * 10,
            linked=["two_factor"],
            product="eSIM Unlimited",
        ),
        LineSpec(
            "data_only",
            "prepaid",
            balance=fee // 2,
            bonus=fee // 10,
            topup_days_ago=40,
            product="Data SIM",
        ),
        LineSpec(
            "physical_sim",
            "prepaid",
            balance=fee,
            topup_days_ago=3,
            linked=["third_party_billing"],
            product="Prepaid",
        ),
        LineSpec("physical_sim", "postpaid", monthly_fee=fee, unpaid=fee * 2, product="Mobile 5GB"),
        LineSpec("esim", "prepaid", balance=fee // 3, topup_days_ago=90, product="Travel eSIM"),
    ]


EXTRA_SPECS: dict[str, list[LineSpec]] = {
    "telenor-no": [
        LineSpec(
            "physical_sim", "postpaid", monthly_fee=29900, port_pending=True, product="Mobile 10GB"
        )
    ],
    "ice-no": [
        LineSpec("physical_sim", "postpaid", monthly_fee=34900, suspended=True, product="Ice 15GB")
    ],
    "att-us": [
        LineSpec(
            "physical_sim",
            "postpaid",
            monthly_fee=7500,
            commitment_months_ago=7,
            commitment_kind="smartphone",
            product="Unlimited Premium",
            signed_up="store",
        )
    ],
    "mts-ru": [
        LineSpec("physical_sim", "prepaid", balance=0, terminated_days_ago=20, product="Тариф Мой")
    ],
}


def _after(day: date | None, days: int | None) -> date | None:
    return day + timedelta(days=days) if day is not None and days is not None else None


def _iccid(prefix: str, serial: int) -> str:
    body = f"{prefix}{serial:012d}"  # 6 + 12 digits + Luhn check = 19, as ITU-T E.118 allows
    return body + luhn.calc_check_digit(body)


@dataclass(frozen=True)
class DemoLine:
    msisdn: str
    operator: str
    kind: str
    situation: str


@dataclass(frozen=True)
class SeedResult:
    operators: int
    lines: int
    api_keys: dict[str, str]  # operator code -> full key (shown once)
    reseller_key: str
    staff_emails: tuple[str, ...]
    # One line per situation the demo covers, read back from the lines it wrote (see `showcase`).
    showcase: tuple[DemoLine, ...] = ()


def showcase(seeded: list[tuple[str, str, Line]], today: date) -> tuple[DemoLine, ...]:
    """One line for each distinct situation among the seeded lines, taking each situation from
    the next country in turn so the table shows all three: (operator code, country, line)."""
    by_situation: dict[str, list[tuple[str, str, Line]]] = {}
    for entry in seeded:
        by_situation.setdefault(situation(entry[2], today), []).append(entry)
    countries = list(dict.fromkeys(country for _, country, _ in seeded))
    chosen: list[DemoLine] = []
    for index, (text, entries) in enumerate(by_situation.items()):
        wanted = countries[index % len(countries)]
        code, _, line = next((e for e in entries if e[1] == wanted), entries[0])
        chosen.append(DemoLine(line.msisdn, code, line.kind, text))
    return tuple(chosen)


def is_seeded(session: Session) -> bool:
    return session.scalars(select(Operator.id).limit(1)).first() is not None


def seed_demo(
    session: Session, *, packs: PackRegistry, now: datetime, password_hash: str
) -> SeedResult:
    today = now.date()
    keys: dict[str, str] = {}
    staff: list[str] = []
    line_count = 0
    seeded: list[tuple[str, str, Line]] = []
    reseller_key = ""
    for index, spec in enumerate(OPERATORS):
        pack = packs.get(spec.pack)
        operator = Operator(
            id=uuid.uuid4(),
            code=spec.code,
            name=spec.name,
            country=pack.country,
            currency=pack.currency,
            timezone=pack.timezone,
            languages=list(pack.languages),
            policy_pack=spec.pack,
            reference_prefix=spec.prefix,
            created_at=now,
            sandbox=True,  # demo operators may run on a test clock (`POST /v1/test-clocks`)
        )
        session.add(operator)
        session.flush()
        reseller = Reseller(
            id=uuid.uuid4(),
            operator_id=operator.id,
            name=f"{spec.name} Partner Shop",
            created_at=now,
        )
        session.add(reseller)
        session.flush()  # no ORM relationships here: parents are flushed before their children
        prefix, key = new_api_key()
        session.add(
            ApiKey(
                operator_id=operator.id,
                name="demo integration",
                prefix=prefix,
                key_hash=hash_api_key(key),
                scopes=["*"],
                created_at=now,
            )
        )
        keys[spec.code] = key
        if index == 0:
            prefix, reseller_key = new_api_key()
            session.add(
                ApiKey(
                    operator_id=operator.id,
                    reseller_id=reseller.id,
                    name="demo reseller",
                    prefix=prefix,
                    key_hash=hash_api_key(reseller_key),
                    scopes=["cases"],
                    created_at=now,
                )
            )
        for role in ("agent", "supervisor", "admin"):
            email = f"{role}@{spec.code}.demo"
            staff.append(email)
            session.add(
                StaffUser(
                    operator_id=operator.id,
                    email=email,
                    full_name=f"Demo {role.title()}",
                    role=role,
                    password_hash=password_hash,
                    language=pack.languages[0] if pack.languages else "en",
                    created_at=now,
                )
            )
        session.flush()
        people = PEOPLE[pack.country]
        specs = _specs(pack.country) + EXTRA_SPECS.get(spec.code, [])
        for n, line_spec in enumerate(specs):
            name, language, region = people[n % len(people)]
            digits = NUMBER_DIGITS[pack.country] - len(spec.dial)
            number = spec.dial + str(index * 97 + n * 13 + 1000).zfill(digits)[-digits:]
            msisdn = "+" + number
            subscriber = Subscriber(
                id=uuid.uuid4(),
                operator_id=operator.id,
                full_name=name,
                email=f"demo.{spec.code}.{n}@example.org",
                phone_e164=msisdn,
                language=language,
                created_at=now,
            )
            session.add(subscriber)
            session.flush()
            commitment_start = commitment_end = None
            if line_spec.commitment_months_ago is not None:
                commitment_start = today - timedelta(days=30 * line_spec.commitment_months_ago)
                commitment_end = commitment_start + timedelta(days=30 * line_spec.commitment_months)
            terminated_on = (
                today - timedelta(days=line_spec.terminated_days_ago)
                if line_spec.terminated_days_ago
                else None
            )
            rules = pack.rules_for(Plan(line_spec.plan), LineKind(line_spec.kind), region)
            line = Line(
                id=uuid.uuid4(),
                operator_id=operator.id,
                subscriber_id=subscriber.id,
                reseller_id=reseller.id if n % 3 == 2 else None,
                msisdn=msisdn,
                kind=line_spec.kind,
                plan=line_spec.plan,
                product_name=line_spec.product,
                iccid=_iccid(spec.iccid_prefix, index * 1000 + n),
                imsi=f"{MCC[pack.country]}{index:02d}{n:010d}",
                eid=f"89049032{index:04d}{n:020d}"[:32] if line_spec.kind == "esim" else None,
                smdp_order_id=f"ord-{spec.code}-{n}" if line_spec.kind == "esim" else None,
                status="terminated"
                if terminated_on
                else "suspended"
                if line_spec.suspended
                else "active",
                suspension_flags=["voluntary"] if line_spec.suspended else [],
                region=region,
                currency=pack.currency,
                activated_on=today - timedelta(days=400 + n * 30),
                commitment_start=commitment_start,
                commitment_end=commitment_end,
                commitment_kind=line_spec.commitment_kind,
                monthly_fee_minor=line_spec.monthly_fee,
                billing_cycle_day=None,
                last_topup_on=today - timedelta(days=line_spec.topup_days_ago)
                if line_spec.topup_days_ago is not None
                else None,
                last_chargeable_activity_on=today - timedelta(days=2),
                balance_minor=line_spec.balance,
                bonus_balance_minor=line_spec.bonus,
                unpaid_bills_minor=line_spec.unpaid,
                device_instalment_minor=line_spec.instalments,
                linked_services=line_spec.linked,
                port_pending=line_spec.port_pending,
                purchase_channel="reseller" if n % 3 == 2 else "direct",
                signed_up_channel=line_spec.signed_up,
                suspended_since=today - timedelta(days=10) if line_spec.suspended else None,
                suspensions_this_year=1 if line_spec.suspended else 0,
                terminated_on=terminated_on,
                # The rest and the reactivation window are the pack's (none where it has none).
                quarantine_until=_after(terminated_on, rules.quarantine_days),
                reactivation_deadline=_after(terminated_on, rules.reactivation_window_days),
                created_at=now,
                updated_at=now,
            )
            session.add(line)
            seeded.append((spec.code, pack.country, line))
            line_count += 1
    session.flush()
    return SeedResult(
        len(OPERATORS),
        line_count,
        keys,
        reseller_key,
        tuple(staff),
        showcase(seeded, today),
    )


def demo_today(now: datetime) -> date:
    return now.date()
