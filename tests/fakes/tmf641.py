"""A fake OSS with TM Forum's TMF641 Service Ordering API v4, run as its own process.

    python -m tests.fakes.tmf641 --host 127.0.0.9 --port 0 [--token TOKEN]

prints `listening <port>` once it accepts connections. Under `/tmf-api/serviceOrdering/v4`:

* `POST /serviceOrder`: the body must be valid against the vendored specification's
  `ServiceOrder_Create` (`tmf641_spec/`), else 400 with TMF's `Error` (`code`, `reason`,
  `message`); the answer (201) is a `ServiceOrder` in state `acknowledged`, checked against the
  specification's `ServiceOrder` too;
* `GET /serviceOrder` lists orders, filtered by `externalId` (TMF630 attribute filtering);
* `GET /serviceOrder/<id>`: the order, or 404 with an `Error`. Each read moves an open order
  one state on, as an OSS working on it would: `acknowledged` → `inProgress` → `completed`, or
  `failed` for an order the fake was told to fail, with the reason in a `note` (v4.0.0 has no
  `errorMessage`; v4.1.0 added it);
* started with `--token`, every request needs `Authorization: Bearer <token>` (else 401).

`GET /_fake/calls` is the call log. `POST /_fake/fail` with `{"service": id, "action": action,
"reason": text}` makes the orders placed from then on for that service and action fail;
`"reason": null` stops it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs

SPEC: Final = Path(__file__).parent / "tmf641_spec" / "TMF641-Service_Ordering-v4.0.0.swagger.json"
BASE: Final = "/tmf-api/serviceOrdering/v4"


def _validator(definition: str) -> Any:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    schema = {"$ref": f"#/definitions/{definition}", "definitions": spec["definitions"]}
    return jsonschema_rs.Draft4Validator(schema)


CREATE: Final = _validator("ServiceOrder_Create")
ORDER: Final = _validator("ServiceOrder")


@dataclass
class Oss:
    token: str | None
    orders: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # (service id, action) -> the reason the orders for it fail
    failing: dict[tuple[str, str], str] = field(default_factory=dict)
    # order id -> the reason it will fail
    doomed: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def error(code: int, reason: str, message: str | None = None) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"code": str(code), "reason": reason}
    if message:
        body["message"] = message
    return code, body


class Handler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("tmf641 " + format % args + "\n")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        oss = self.server.oss
        with oss.lock:
            if self.path == "/_fake/calls":
                self._send(200, {"calls": oss.calls})
                return
            if self.path == "/_fake/fail" and method == "POST":
                wanted = json.loads(raw)
                key = (wanted["service"], wanted["action"])
                if wanted.get("reason"):
                    oss.failing[key] = wanted["reason"]
                else:
                    oss.failing.pop(key, None)
                self._send(200, {"failing": len(oss.failing)})
                return
            record: dict[str, Any] = {"method": method, "path": self.path}
            oss.calls.append(record)
            code, answer = self._route(oss, method, raw, record)
            record["status"] = code
        self._send(code, answer)

    def _route(self, oss: Oss, method: str, raw: bytes, record: dict[str, Any]) -> tuple[int, Any]:
        if oss.token is not None and self.headers.get("authorization") != f"Bearer {oss.token}":
            return error(401, "Unauthorized")
        url = urlsplit(self.path)
        if not url.path.startswith(BASE + "/serviceOrder"):
            return error(404, "Not Found", f"no resource at {url.path}")
        rest = url.path.removeprefix(BASE + "/serviceOrder").strip("/")
        if method == "GET" and not rest:
            wanted = parse_qs(url.query).get("externalId")
            return 200, [o for o in oss.orders if not wanted or o.get("externalId") in wanted]
        if method == "GET":
            found = next((o for o in oss.orders if o["id"] == rest), None)
            if found is None:
                return error(404, "Not Found", rest)
            self._advance(oss, found)
            return 200, found
        if method == "POST" and not rest:
            try:
                body = json.loads(raw)
            except ValueError:
                return error(400, "Bad Request", "the body is not JSON")
            record["body"] = body
            return self._create(oss, body)
        return error(405, "Method Not Allowed")

    def _create(self, oss: Oss, body: Any) -> tuple[int, Any]:
        problems = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in CREATE.iter_errors(body)
        ]
        if problems:
            return error(400, "Bad Request", "; ".join(problems[:5]))
        number = len(oss.orders) + 1
        order = {
            **body,
            "id": f"SO-{number:05d}",
            "href": f"{BASE}/serviceOrder/SO-{number:05d}",
            "state": "acknowledged",
            "orderDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for position, item in enumerate(order["serviceOrderItem"]):
            order["serviceOrderItem"][position] = {**item, "state": "acknowledged"}
        if not ORDER.is_valid(order):  # the fake checks itself too
            return error(500, "Internal Server Error", "the fake built an invalid ServiceOrder")
        oss.orders.append(order)
        for item in order["serviceOrderItem"]:
            reason = oss.failing.get((item["service"].get("id"), item["action"]))
            if reason is not None:
                oss.doomed[order["id"]] = reason
        return 201, order

    def _advance(self, oss: Oss, order: dict[str, Any]) -> None:
        """One state on: acknowledged → inProgress → completed (or failed)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if order["state"] == "acknowledged":
            state = "inProgress"
            order["startDate"] = now
        elif order["state"] == "inProgress":
            reason = oss.doomed.get(order["id"])
            state = "completed" if reason is None else "failed"
            order["completionDate"] = now
            if reason is not None:
                order["note"] = [{"id": "1", "author": "fake-oss", "date": now, "text": reason}]
        else:
            return
        order["state"] = state
        for item in order["serviceOrderItem"]:
            item["state"] = state
        assert ORDER.is_valid(order), "the fake built an invalid ServiceOrder"

    def _send(self, code: int, body: Mapping[str, Any] | list[Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], oss: Oss) -> None:
        super().__init__(address, Handler)
        self.oss = oss


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token")
    args = parser.parse_args(argv)
    server = FakeServer((args.host, args.port), Oss(args.token))
    sys.stdout.write(f"listening {server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
