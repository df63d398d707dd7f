"""Schemathesis over every /v1 operation, fed with the real ids of the seeded demo.

Generated UUIDs and numbers only ever reach a 404; here path parameters, query parameters and
body fields that name a line, a case, a port-out, an operator, a number or an ICCID are, most of
the time, those of real rows (lines in every state, cases at several steps), so the requests
reach the rules behind the look-up. The run uses schemathesis' own engine (examples, coverage,
fuzzing and stateful phases) with the conformance checks, `not_a_server_error` and
`positive_data_acceptance` ("valid request rejected"), and counts what it saw.

`tests/api/test_fuzz.py` runs it bounded in CI; `bench/fuzz_api.py` runs it long.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import schemathesis
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis.engine import Status, events
from schemathesis.engine import from_schema as engine_from_schema
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.openapi.checks import RejectedPositiveData
from sqlalchemy import select
from stdnum import luhn

from simexit import migrate
from simexit.api.app import create_app
from simexit.api.ratelimit import RateLimits
from simexit.api.v1.paging import CURSOR_PATTERN
from simexit.api.v1.payouts import EXAMPLE_MESSAGE_ID
from simexit.api.validators import E164_FORMAT, E164_PATTERN, ICCID_FORMAT, ICCID_PATTERN
from simexit.config import Environment, Settings
from simexit.integrations.simulated import SIMULATED_DEBTOR
from simexit.models import (
    Case,
    LedgerEntry,
    Line,
    Operator,
    RefundDestination,
    Reseller,
    StaffUser,
    WebhookDelivery,
)
from simexit.principals import SYSTEM
from simexit.refunds import service as refunds
from simexit.refunds.destinations import Destination, DestinationKind
from simexit.refunds.sealing import Sealer
from simexit.runtime import Runtime
from simexit.seed.demo import seed_demo
from tests.api.conftest import TestClient

CHECKS = [
    "not_a_server_error",
    "positive_data_acceptance",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
PHASES = ["examples", "coverage", "fuzzing", "stateful"]
# POST /v1/imports takes a file as text: schemathesis sends a generated string as it is.
for _media in ("text/csv", "application/x-ndjson", "application/xml"):
    schemathesis.serializer.alias(_media, "text/plain")
# Refusals of well-formed requests by rules no JSON Schema can hold: a secret (the code), the
# state of a verification, the server's clock. They are counted apart (`Figures.by_rule`), not
# hidden; any other refusal of a schema-valid request is a rule the contract fails to declare.
RULES_OF_STATE = frozenset(
    {
        "verification_code_wrong",  # the code is a secret
        "verification_expired",  # 410: the code's time ran out
        "verification_locked",  # 423: too many wrong codes
        "returned_at_in_future",  # later than the server's clock
        # A port's completion time lies within its life: after its request, not after now.
        "port_completed_at_in_future",
        "port_completed_before_request",
        "test_clock_not_forward",  # not after the test clock's current time
        "test_clock_advance_too_far",  # more than ten years past the test clock's time
        # A code by e-mail or SMS to a subscriber with no address of that kind on file (the
        # provisioned fuzz subscriber has none); the request's method is one the schema lists.
        "verification_method_not_allowed",
        # The bank's status report is an XML document: no JSON Schema says what a pain.002 is.
        "invalid_status_report",
        # An information request's due date is after today and at most 60 days away.
        "information_due_date_invalid",
        # An answer's file is told by its bytes (PDF, JPEG, PNG), not by any schema; the form's
        # two fields are each optional but one of them is needed.
        "file_type_not_allowed",
        "file_too_large",
        "file_empty",
        "information_missing",
        # A campaign from a pack rule the caller's pack does not have (Telenor has no SIM-count
        # gate, no inactivity rule that acts on a line): which rules a pack holds is the
        # operator's, not the request's shape.
        "pack_rule_missing",
        # A machine-readable zone's check digits and expiry (ICAO 9303): arithmetic over the
        # text and today's date, like a Luhn digit.
        "mrz_invalid",
    }
)
# Field rules of provisioning that hang on the operator or on today, not on the request's shape:
# the number's country, the IMSI's MCC, the operator's currency and languages, check digits,
# dates against today, rows that must exist (a subscriber, a reseller), the line's unpaid bills.
# A 422 whose every field error is one of them is counted apart, like `RULES_OF_STATE`.
FIELD_RULES_OF_STATE = frozenset(
    {
        "e164_for_country",
        "imsi_mcc",
        "eid_check_digits",
        "iccid_luhn",
        "currency_of_operator",
        "language_of_operator",
        "date_range",
        "date_order",
        "bonus_within_balance",
        "unknown_subscriber",
        "unknown_reseller",
        "exceeds_unpaid_bills",
        "amount_range",
        "positive",
        "required",  # a PUT by external id that creates needs what a create needs
        "matches_path",
        # Refund destinations: check digits and bank registries, the operator's pack (which
        # ways and account forms it allows), the subscriber's other lines.
        "check_digit",
        "iban",
        "bic",
        "aba_routing",
        "ru_bic",
        "payout_method_not_allowed",
        "account_format_not_used",
        "line_of_subscriber",
        "line_active",
        # A balance request: what the operator's pack offers, the operator's other lines.
        "settlement_not_offered",
        "transfer_target_unknown",
        "transfer_target_same_line",
        "transfer_target_other_subscriber",
        "transfer_target_inactive",
    }
)
EXTERNAL_ID = "FUZZ-1"  # a subscriber and a line of the operator carry it
OPERATOR = "telenor-no"  # whose key the run uses unless told another
IDEMPOTENCY_KEY = "Idempotency-Key"
MOBILE = phonenumbers.PhoneNumberType.MOBILE


@dataclass
class SeededIds:
    """Ids of real rows the caller (an operator's key) may see, and a few it may not."""

    line_ids: list[str] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)
    port_out_ids: list[str] = field(default_factory=list)
    operator_ids: list[str] = field(default_factory=list)
    msisdns: list[str] = field(default_factory=list)
    iccids: list[str] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)
    staff_ids: list[str] = field(default_factory=list)
    reseller_ids: list[str] = field(default_factory=list)
    endpoint_ids: list[str] = field(default_factory=list)
    delivery_ids: list[str] = field(default_factory=list)
    subscriber_ids: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    clock_ids: list[str] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)
    campaign_ids: list[str] = field(default_factory=list)

    def by_name(self) -> dict[str, list[str]]:
        """Real values per parameter or body field name."""
        return {
            "line_id": self.line_ids,
            "case_id": self.case_ids,
            "port_out_id": self.port_out_ids,
            "operator_id": self.operator_ids,
            "msisdn": self.msisdns,
            "transfer_to_msisdn": self.msisdns,
            "iccid": self.iccids,
            "cursor": self.cursors,
            "staff_id": self.staff_ids,
            "reseller_id": self.reseller_ids,
            "endpoint_id": self.endpoint_ids,
            "delivery_id": self.delivery_ids,
            "subscriber_id": self.subscriber_ids,
            "external_id": self.external_ids,
            "subscriber_external_id": self.external_ids,
            "clock_id": self.clock_ids,
            "batch_id": self.batch_ids,
            "campaign_id": self.campaign_ids,
        }


@dataclass
class Figures:
    requests: int = 0
    server_errors: int = 0
    rejected_valid: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    other_failures: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    # Operations that answered past the look-up at least once (a 2xx, or a 409 from the rules).
    reached: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.server_errors or self.rejected_valid or self.other_failures or self.errors)

    def summary(self) -> str:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.requests} requests, {self.server_errors} server errors, "
            f"{self.rejected_valid} valid requests rejected, {self.other_failures} other "
            f"failures, {len(self.errors)} errors; refused by rules of state {self.by_rule}; "
            f"statuses {statuses}"
        )


def fuzz_runtime(database_url: str, secret: str) -> Runtime:
    return Runtime(
        Settings(database_url=database_url, secret_key=SecretStr(secret), env=Environment.test)
    )


def seed(
    runtime: Runtime, app: Any, now: datetime, operator: str = OPERATOR
) -> tuple[str, SeededIds]:
    """Migrate, seed the demo, and take cases and port-outs to several steps through the API,
    as `operator`'s integration (whose key the run then uses)."""
    migrate.upgrade(runtime.db.engine)
    with runtime.db.session() as session:
        result = seed_demo(session, packs=runtime.packs, now=now, password_hash="x")
    key = result.api_keys[operator]
    ids = SeededIds()
    with runtime.db.read_session() as session:
        lines = list(
            session.scalars(
                select(Line)
                .join(Operator, Operator.id == Line.operator_id)
                .where(Operator.code == operator)
                .order_by(Line.msisdn)
            )
        )
        own = lines[0].operator_id
        other = session.scalars(select(Operator.id).where(Operator.id != own).limit(1)).one()
        ids.operator_ids = [str(own), str(own), str(other)]
        foreign = session.scalars(select(Line.id).where(Line.operator_id != own).limit(2))
        ids.line_ids = [str(line.id) for line in lines] + [str(i) for i in foreign]
        ids.msisdns = [line.msisdn for line in lines]
        ids.iccids = [line.iccid for line in lines if line.iccid]
        active = [line for line in lines if line.status == "active"]
        _admin_ids(session, ids, own)
        ids.subscriber_ids = [str(line.subscriber_id) for line in lines[:4]]
        foreign_subscriber = session.scalars(
            select(Line.subscriber_id).where(Line.operator_id != own).limit(1)
        ).one()
        ids.subscriber_ids.append(str(foreign_subscriber))
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        # An endpoint first, so that the cases below leave deliveries to list and replay.
        registered = client.post(
            "/v1/webhook-endpoints", json={"url": "https://hooks.example/simexit"}, headers=headers
        )
        ids.endpoint_ids.append(registered.json()["id"])
        _provision(client, headers, ids, lines[0])
        for index, line in enumerate(active[:-2]):
            _open_case_at_step(client, headers, ids, line, step=index % 4)
        for line in active[-2:]:
            ported = client.post(
                "/v1/port-outs",
                json={"msisdn": line.msisdn, "recipient_operator": "Telia"},
                headers=headers,
            )
            if ported.status_code in (200, 201):
                ids.port_out_ids.append(ported.json()["id"])
        _campaigns(client, headers, ids, lines)
        clock = client.post("/v1/test-clocks", json={"name": "fuzz"}, headers=headers)
        ids.clock_ids.append(clock.json()["id"])
        page = client.get("/v1/cases", params={"limit": 1}, headers=headers).json()
        if page.get("next_cursor"):
            ids.cursors.append(page["next_cursor"])
    ids.case_ids.append(str(uuid.uuid4()))  # and one that is nobody's
    _deliveries(runtime, ids)
    _payout_batch(runtime, ids, operator, now)
    return key, ids


def _campaigns(
    client: TestClient, headers: dict[str, str], ids: SeededIds, lines: list[Line]
) -> None:
    """Two drafts made by the caller's key: its approve is refused by four eyes (a 409 from the
    rules), pause too (a draft is not running); abort ends the second."""
    for name in ("fuzz block", "fuzz notice"):
        created = client.post(
            "/v1/campaigns",
            json={
                "name": name,
                "action": "suspend",
                "selection": {"msisdns": [line.msisdn for line in lines[:3]]},
            },
            headers=headers,
        )
        ids.campaign_ids.append(created.json()["id"])
    ids.campaign_ids.append(str(uuid.uuid4()))  # and one that is nobody's


def _payout_batch(runtime: Runtime, ids: SeededIds, operator: str, now: datetime) -> None:
    """A refund owed on one of the caller's cases, with its destination, written into a payout
    file named as the status-report example of the API's schema says (its OrgnlMsgId)."""
    with runtime.db.session() as session:
        found = session.scalars(select(Operator).where(Operator.code == operator)).one()
        case = session.scalars(select(Case).where(Case.operator_id == found.id).limit(1)).one()
        for account, amount in (("prepaid_liability", 10000), ("payout_due", -10000)):
            session.add(
                LedgerEntry(
                    operator_id=found.id, case_id=case.id, kind="prepaid_refund",
                    account=account, amount_minor=amount, currency=found.currency, created_at=now,
                )
            )  # fmt: skip
        destination = Destination(DestinationKind.no_account, "Kari Nordmann", "86011117947")
        session.add(
            RefundDestination(
                case_id=case.id, operator_id=found.id, kind=destination.kind.value,
                masked=destination.masked, given_by="fuzz", updated_at=now,
                sealed=Sealer(runtime.cases.secret_key).seal(destination, bound_to=str(case.id)),
            )
        )  # fmt: skip
        session.flush()
        exported = refunds.export_batch(
            session, runtime.cases, actor=SYSTEM, operator=found, currency=found.currency,
            debtor=SIMULATED_DEBTOR, execution_date=now.date(), now=now,
        )  # fmt: skip
        exported.batch.message_id = EXAMPLE_MESSAGE_ID
        ids.batch_ids += [str(exported.batch.id), str(uuid.uuid4())]


def _admin_ids(session: Any, ids: SeededIds, own: uuid.UUID) -> None:
    """The caller's staff and resellers, and one of each of another operator's (a 404)."""
    for model, target in ((StaffUser, ids.staff_ids), (Reseller, ids.reseller_ids)):
        target += [
            str(i) for i in session.scalars(select(model.id).where(model.operator_id == own))
        ]
        target += [
            str(i)
            for i in session.scalars(select(model.id).where(model.operator_id != own).limit(1))
        ]


def _deliveries(runtime: Runtime, ids: SeededIds) -> None:
    """The endpoint's deliveries; half of them dead, so that a replay is sometimes allowed."""
    with runtime.db.session() as session:
        deliveries = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        for index, delivery in enumerate(deliveries):
            if index % 2:
                delivery.status = "dead"
            ids.delivery_ids.append(str(delivery.id))


def _provision(client: TestClient, headers: dict[str, str], ids: SeededIds, line: Line) -> None:
    """A subscriber and a line with the operator's own id, for the by-external-id operations."""
    client.put(
        f"/v1/subscribers/by-external-id/{EXTERNAL_ID}",
        json={"full_name": "Fuzz Testesen"},
        headers=headers,
    )
    client.put(
        f"/v1/lines/by-external-id/{EXTERNAL_ID}",
        json={
            "subscriber_external_id": EXTERNAL_ID,
            "msisdn": line.msisdn,
            "kind": "esim",
            "plan": "prepaid",
            "activated_on": "2025-01-01",
        },
        headers=headers,
    )
    ids.external_ids = [EXTERNAL_ID]


def _open_case_at_step(
    client: TestClient, headers: dict[str, str], ids: SeededIds, line: Line, step: int
) -> None:
    """A draft (0), identity attested (1), submitted (2) or submitted and withdrawn (3)."""
    kind = ("suspend", "terminate")[step % 2]
    opened = client.post("/v1/cases", json={"line_id": str(line.id), "type": kind}, headers=headers)
    if opened.status_code != 201:
        return
    case_id = opened.json()["id"]
    ids.case_ids.append(case_id)
    steps = [("identity", {"method": "id_document"}), ("submit", {}), ("withdraw", {})]
    for action, body in steps[:step]:
        client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=headers)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _matching(pattern: str) -> Callable[[str], bool]:
    return lambda value: re.fullmatch(pattern, value) is not None


# The shape a generated value must have to be swapped; a UUID unless named here.
SHAPES: dict[str, Callable[[str], bool]] = {
    "msisdn": _matching(E164_PATTERN),
    "transfer_to_msisdn": _matching(E164_PATTERN),
    "iccid": _matching(ICCID_PATTERN),
    "cursor": _matching(CURSOR_PATTERN),
    "external_id": _matching(r"^[A-Za-z0-9._~:-]{1,100}$"),
    "subscriber_external_id": _matching(r"^[A-Za-z0-9._~:-]{1,100}$"),
}


class RealIds:
    """Swaps generated values for real ones just before each call, in every phase but the
    stateful one (whose links already carry real ids). Only a value of the right shape is
    swapped, so a negative case stays negative; one value in four is left as generated. The
    choice hangs on the generated value, so a seeded run sends the same requests again, except
    that the first value of the right shape each operation sends for a name is always the
    caller's own: hypothesis may generate fewer examples on a loaded machine, and every
    operation must still reach its rules once with a real id.
    Schemathesis re-validates an edited case, so its positive or negative label stays true."""

    def __init__(self, schema: Any, ids: SeededIds) -> None:
        self.schema = schema
        self.names = ids.by_name()
        self.sent = itertools.count()
        self.by_rule: dict[str, int] = {}
        self.first_swapped: set[tuple[str, str]] = set()

    def swap(self, name: str, value: Any, operation: str | None = None) -> Any:
        real = self.names.get(name)
        if not real or not isinstance(value, str):
            return value
        if not SHAPES.get(name, _is_uuid)(value):
            return value
        if operation is not None and (operation, name) not in self.first_swapped:
            self.first_swapped.add((operation, name))
            return real[0]
        index = zlib.crc32(value.encode()) % (len(real) + len(real) // 3 + 1)
        return real[index] if index < len(real) else value

    def swap_all(self, container: Any, operation: str | None) -> None:
        if isinstance(container, MutableMapping):
            for name, value in list(container.items()):
                container[name] = self.swap(name, value, operation)

    def before_call(self, _context: Any, case: Any, _kwargs: Any) -> None:
        if case.operation.schema is not self.schema:
            return
        headers = case.headers
        if isinstance(headers, MutableMapping) and isinstance(headers.get(IDEMPOTENCY_KEY), str):
            # A client makes a new key for each new request; the same key with another body is
            # a rule of state (422 idempotency_key_reused, tests/api/test_idempotency.py).
            headers[IDEMPOTENCY_KEY] = f"{headers[IDEMPOTENCY_KEY][:180]}.{next(self.sent)}"
        if case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL:
            return
        positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
        operation = case.operation.label if positive else None
        for container in (case.path_parameters, case.query, case.body):
            self.swap_all(container, operation)

    def filter_failure(self, _context: Any, failure: Any, _case: Any, response: Any) -> bool:
        """Keep every failure but a refusal by one of `RULES_OF_STATE` (counted instead)."""
        if not isinstance(failure, RejectedPositiveData):
            return True
        code = _problem_code(response)
        if code in RULES_OF_STATE:
            self.by_rule[code] = self.by_rule.get(code, 0) + 1
            return False
        rules = _field_rules(response)
        if code == "validation_failed" and rules and rules <= FIELD_RULES_OF_STATE:
            for rule in rules:
                self.by_rule[rule] = self.by_rule.get(rule, 0) + 1
            return False
        return True


def _problem_code(response: Any) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _field_rules(response: Any) -> set[str]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return set()
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    return {str(e.get("code")) for e in errors if isinstance(e, dict)}


@contextmanager
def real_ids(schema: Any, ids: SeededIds) -> Iterator[RealIds]:
    """`before_call` hooks are global in schemathesis; this one is for `schema` only, and only
    while the block runs."""
    swapper = RealIds(schema, ids)

    def before_call(context: Any, case: Any, kwargs: Any) -> None:
        swapper.before_call(context, case, kwargs)

    hook = schemathesis.hook("before_call")(before_call)
    _register_formats(ids)

    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return swapper.filter_failure(context, failure, case, response)

    schema.hook("filter_failure")(filter_failure)
    try:
        yield swapper
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(hook)


def _register_formats(ids: SeededIds) -> None:
    """Generators for the contract's own formats (see `simexit.api.validators`)."""
    examples = [
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
        if (number := phonenumbers.example_number_for_type(region, MOBILE)) is not None
    ]
    schemathesis.openapi.format(
        E164_FORMAT, st.sampled_from(ids.msisdns) | st.sampled_from(examples)
    )
    luhn_completed = st.from_regex(r"89[0-9]{17,18}", fullmatch=True).map(
        lambda digits: digits[:-1] + luhn.calc_check_digit(digits[:-1])
    )
    schemathesis.openapi.format(ICCID_FORMAT, st.sampled_from(ids.iccids) | luhn_completed)


def load_schema(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return schema.include(path_regex="^/v1/")


def configure(schema: Any, *, key: str, max_examples: int, seed_value: int | None) -> None:
    config = schema.config
    config.update(headers={"Authorization": f"Bearer {key}"})
    config.generation.update(
        max_examples=max_examples,
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        deterministic=seed_value is None,
        database="none",
    )
    config.checks.update(included_check_names=CHECKS)
    config.phases.update(phases=PHASES)
    if seed_value is not None:
        config.seed = seed_value


def fuzz(schema: Any, ids: SeededIds, on_event: Callable[[Any], None] | None = None) -> Figures:
    """The whole run: real ids in, every phase, and the figures out."""
    with real_ids(schema, ids) as swapper:
        figures = run(schema, on_event)
    figures.by_rule = dict(swapper.by_rule)
    return figures


def run(schema: Any, on_event: Callable[[Any], None] | None = None) -> Figures:
    figures = Figures()
    for event in engine_from_schema(schema).execute():
        if on_event is not None:
            on_event(event)
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            _count(figures, event.recorder)
        elif isinstance(event, events.NonFatalError):
            figures.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            figures.errors.append(repr(event.exception))
    return figures


def _count(figures: Figures, recorder: Any) -> None:
    for interaction in recorder.interactions.values():
        figures.requests += 1
        if interaction.response is not None:
            code = interaction.response.status_code
            figures.statuses[code] = figures.statuses.get(code, 0) + 1
            if code < 300 or code == 409:
                figures.reached.add(f"{interaction.request.method} {_template(interaction)}")
    for case_id, checks in recorder.checks.items():
        for check in _failed(checks):
            if check.name == "not_a_server_error":
                figures.server_errors += 1
            elif check.name == "positive_data_acceptance":
                figures.rejected_valid += 1
            else:
                figures.other_failures += 1
            figures.failures.append(_describe(recorder, case_id, check))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _template(interaction: Any) -> str:
    """The path with its ids put back as `{id}`, e.g. /v1/cases/{id}/submit."""
    path = urlsplit(interaction.request.uri).path
    # The operator's own ids stand in paths too (`/v1/lines/by-external-id/FUZZ-1`).
    path = re.sub(r"/by-external-id/[^/]+", "/by-external-id/{id}", path)
    return _UUID.sub("{id}", path)


def _failed(checks: Iterable[Any]) -> Iterable[Any]:
    return (c for c in checks if c.status == Status.FAILURE)


def _describe(recorder: Any, case_id: str, check: Any) -> str:
    interaction = recorder.interactions.get(case_id)
    request = interaction.request if interaction else None
    response = interaction.response if interaction else None
    sent = "?"
    if request is not None:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        sent = f"{request.method} {request.uri} {request.body!r} {headers}"
    got = f"{response.status_code} {response.content[:300]!r}" if response else "?"
    failure = check.failure_info.failure if check.failure_info else None
    title = getattr(failure, "title", "") if failure else ""
    return f"[{check.name}] {recorder.label}: {title}\n  sent {sent}\n  got {got}"


def build(database_url: str, secret: str, now: datetime) -> tuple[Runtime, Any]:
    runtime = fuzz_runtime(database_url, secret)
    return runtime, create_app(runtime, clock=lambda: now, rate_limits=RateLimits())
