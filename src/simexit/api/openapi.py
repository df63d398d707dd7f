"""The OpenAPI document, finished: problems as application/problem+json, and links between
operations so that clients (and schemathesis' stateful tests) can follow a case's life."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from simexit.api.errors import PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

CASE_ID = {"case_id": "$response.body#/id"}
CASE_LINKS: dict[str, Any] = {
    "GetCase": {"operationId": "get_case", "parameters": CASE_ID},
    "ListCaseEvents": {"operationId": "list_case_events", "parameters": CASE_ID},
    "StartVerification": {"operationId": "start_verification", "parameters": CASE_ID},
    "AttestIdentity": {"operationId": "attest_identity", "parameters": CASE_ID},
    "VerifyPin": {"operationId": "verify_pin", "parameters": CASE_ID},
    "SubmitCase": {"operationId": "submit_case", "parameters": CASE_ID},
    "WithdrawCase": {"operationId": "withdraw_case", "parameters": CASE_ID},
    "ApproveCase": {"operationId": "approve_case", "parameters": CASE_ID},
    "RejectCase": {"operationId": "reject_case", "parameters": CASE_ID},
}
FIRST_CASE = {"case_id": "$response.body#/items/0/id"}
FIRST_LINE = {"line_id": "$response.body#/items/0/line_id"}
LINKS: dict[tuple[str, str], dict[str, Any]] = {
    ("open_case", "201"): CASE_LINKS,
    ("open_case", "200"): CASE_LINKS,
    ("submit_case", "200"): {
        k: v
        for k, v in CASE_LINKS.items()
        if k in {"GetCase", "ApproveCase", "RejectCase", "WithdrawCase"}
    },
    ("resubmit_case", "201"): CASE_LINKS,
    ("list_cases", "200"): {
        "GetFirstCase": {"operationId": "get_case", "parameters": FIRST_CASE},
        "FirstCaseEvents": {"operationId": "list_case_events", "parameters": FIRST_CASE},
        "GetFirstCaseLine": {"operationId": "get_line", "parameters": FIRST_LINE},
        "PreviewFirstCaseLine": {"operationId": "preview_line", "parameters": FIRST_LINE},
        "OpenCaseOnFirstCaseLine": {
            "operationId": "open_case",
            "requestBody": {"line_id": "$response.body#/items/0/line_id", "type": "suspend"},
        },
    },
    ("list_operators", "200"): {
        "GetFirstOperatorPolicy": {
            "operationId": "get_operator_policy",
            "parameters": {"operator_id": "$response.body#/items/0/id"},
        }
    },
    ("get_line", "200"): {
        "PreviewLine": {
            "operationId": "preview_line",
            "parameters": {"line_id": "$response.body#/id"},
        },
        "FindLinesByNumber": {
            "operationId": "find_lines",
            "parameters": {"msisdn": "$response.body#/msisdn"},
        },
    },
    ("request_port_out", "201"): {
        "CompletePortOut": {
            "operationId": "complete_port_out",
            "parameters": {"port_out_id": "$response.body#/id"},
        }
    },
}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation_id = operation.get("operationId", "")
            for status, response in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
                    if int(status) == 422:
                        response["description"] = (
                            "The request is invalid: each field and the rule it broke."
                        )
                links = LINKS.get((operation_id, status))
                if links:
                    response["links"] = links
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
