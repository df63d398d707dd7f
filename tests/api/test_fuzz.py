"""Bad input never makes a 500: hypothesis over POST /v1/cases bodies, and schemathesis over
the app's own OpenAPI document (examples, then its stateful phase following the links)."""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simexit import migrate
from simexit.api.app import create_app
from simexit.config import Environment, Settings
from simexit.runtime import Runtime
from simexit.seed.demo import seed_demo
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


# The app is built at import time (schemathesis reads its schema while collecting); its database
# is created and seeded by the module fixture before the first call.
_OPENAPI_DIR = Path(tempfile.mkdtemp(prefix="simexit-openapi-"))
_OPENAPI_RUNTIME = Runtime(
    Settings(
        database_url=f"sqlite:///{_OPENAPI_DIR / 'api.db'}",
        secret_key=SecretStr(SECRET),
        env=Environment.test,
    )
)
_OPENAPI_APP = create_app(_OPENAPI_RUNTIME, clock=lambda: NOW)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    schema = schemathesis.openapi.from_asgi("/openapi.json", _OPENAPI_APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module")
def api_key() -> Iterator[str]:
    runtime = _OPENAPI_RUNTIME
    migrate.upgrade(runtime.db.engine)
    with runtime.db.session() as session:
        seed = seed_demo(session, packs=runtime.packs, now=NOW, password_hash="x")
    key = seed.api_keys["telenor-no"]
    # A few cases so that list_cases has items for the stateful links to follow.
    with TestClient(_OPENAPI_APP) as client:
        for line in lines_of(runtime, "telenor-no", status="active")[:3]:
            client.post(
                "/v1/cases",
                json={"line_id": str(line.id), "type": "suspend"},
                headers={"Authorization": f"Bearer {key}"},
            )
    yield key
    runtime.db.dispose()
    shutil.rmtree(_OPENAPI_DIR, ignore_errors=True)


# One test id per operation, spelled out: `schema.parametrize()` gives every operation the same
# node id, and pytest-xdist's --dist loadfile then runs only one of them.
def _operations() -> list[tuple[str, str]]:
    found = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()  # a schema simexit cannot fuzz is a failure, not a skip
        found.append((result.ok().method.upper(), result.ok().path))
    return sorted(found)


OPERATIONS = _operations()


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS]
)
@hypothesis.settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(data=st.data())
def test_openapi_examples_conform(
    method: str, path: str, data: st.DataObject, api_key: str
) -> None:
    case = data.draw(schema[path][method].as_strategy())
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)


def test_openapi_stateful(api_key: str) -> None:
    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {api_key}"}}

        def validate_response(
            self, response: Any, case: schemathesis.Case[Any], **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
