"""Bad input never makes a 500: hypothesis over POST /v1/cases bodies, and schemathesis over
the app's own OpenAPI document with the seeded demo's real ids, on each back end."""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from simexit.api.app import create_app
from simexit.runtime import Runtime
from tests.api import seeded_fuzz
from tests.api.conftest import NOW, SECRET, Demo, TestClient, lines_of

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    "line_id",
    "type",
    "channel",
    "reason",
    "comment",
    "requested_date",
    "settlement",
    "transfer_to_msisdn",
    "suspend_until",
]
field_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "terminate",
            "suspend",
            "port_out",
            "api",
            "refund",
            "transfer",
            "+4791234567",
            "2026-12-01",
            "\x00",
            "9999-12-31",
            "0001-01-01",
        ]
    ),
    st.text(min_size=190, max_size=3000),
)


@pytest.fixture
def fuzz_client(runtime: Runtime, demo: Demo) -> Iterator[tuple[TestClient, Demo, list[str]]]:
    line_ids = [str(line.id) for line in lines_of(runtime, "telenor-no")]
    with TestClient(create_app(runtime, clock=lambda: NOW)) as client:
        yield client, demo, line_ids


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_open_case_never_500s(
    fuzz_client: tuple[TestClient, Demo, list[str]], data: st.DataObject
) -> None:
    client, demo, line_ids = fuzz_client
    body: dict[str, Any] = data.draw(
        st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=6)
    )
    if data.draw(st.booleans()):
        body["line_id"] = data.draw(st.sampled_from(line_ids))
    response = client.post(
        "/v1/cases",
        content=json.dumps(body),
        headers={**demo.telenor, "content-type": "application/json"},
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        problem = response.json()
        assert problem["code"]
        assert problem["detail"]
        assert problem["status"] == response.status_code


# Schemathesis over every /v1 operation with the seeded demo's real ids (tests/api/seeded_fuzz.py):
# examples, coverage, fuzzing and stateful phases; conformance, no server error, no valid request
# rejected. Bounded here (a recorded seed, a few examples per operation); SIMEXIT_FUZZ_EXAMPLES
# and SIMEXIT_FUZZ_SEED (a number, or "random") make it the long run (also bench/fuzz_api.py).
FUZZ_SEED = 20261120
FUZZ_EXAMPLES = 8


def _fuzz_seed() -> int:
    raw = os.environ.get("SIMEXIT_FUZZ_SEED", str(FUZZ_SEED))
    return random.getrandbits(64) if raw == "random" else int(raw)


def test_schemathesis_with_seeded_ids(database_url: str) -> None:
    runtime, app = seeded_fuzz.build(database_url, SECRET, NOW)
    try:
        key, ids = seeded_fuzz.seed(runtime, app, NOW)
        schema = seeded_fuzz.load_schema(app)
        seed_value = _fuzz_seed()
        examples = int(os.environ.get("SIMEXIT_FUZZ_EXAMPLES", FUZZ_EXAMPLES))
        seeded_fuzz.configure(schema, key=key, max_examples=examples, seed_value=seed_value)
        figures = seeded_fuzz.fuzz(schema, ids)
    finally:
        runtime.db.dispose()
    said = f"seed {seed_value} (SIMEXIT_FUZZ_SEED replays it): {figures.summary()}"
    assert figures.clean, "\n".join([said, *figures.failures[:20], *figures.errors])
    operations = {f"{op.method.upper()} {_as_template(op.path)}" for op in _v1_operations(schema)}
    # Every operation answered past its look-up at least once: the real ids reached the rules.
    assert operations <= figures.reached, (said, sorted(operations - figures.reached))


def _as_template(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "{id}", path)


def _v1_operations(schema: Any) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()  # a schema simexit cannot fuzz is a failure, not a skip
        found.append(result.ok())
    assert len(found) > 20
    return found
