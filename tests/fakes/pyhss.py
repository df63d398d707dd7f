"""A fake HSS with pyHSS's REST API for subscribers, run as its own process.

    python -m tests.fakes.pyhss --host 127.0.0.9 --port 0 [--provisioning-key KEY]

prints `listening <port>` once it accepts connections. It follows the shapes of pyHSS's
`services/apiService.py` (nickvsnetworking/pyhss), `subscriber` namespace:

* `PUT /subscriber/` creates one (`imsi`, `msisdn` as `+E.164`, stored as digits, `enabled`,
  ...) and answers it with its `subscriber_id`;
* `GET /subscriber/<id>`, `GET /subscriber/msisdn/<msisdn>` (digits or `+E.164`),
  `GET /subscriber/imsi/<imsi>`;
* `PATCH /subscriber/<id>` with some of its fields; `DELETE /subscriber/<id>`;
* an unknown id or number: 404 `{"result": "Failed", "reason": ...}`; an unknown route: 404
  `{"Result": "Not Found"}`; a write without the `Provisioning-Key` when started with one
  (pyHSS's `lock_provisioning`): 401.

Stricter than pyHSS, as simexit's contract with an HSS: `DELETE` of a subscriber that is still
enabled is refused (400): a subscriber is disabled (its sessions torn down) before it is
deleted. Fields of the wrong type and fields pyHSS's subscriber has not are refused (400).
`GET /_fake/calls` is the call log.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")
FIELDS: Final[Mapping[str, type | tuple[type, ...]]] = {
    "imsi": str,
    "msisdn": str,
    "enabled": bool,
    "auc_id": int,
    "default_apn": int,
    "apn_list": str,
    "ue_ambr_dl": int,
    "ue_ambr_ul": int,
    "nam": int,
    "roaming_enabled": bool,
    "roaming_rule_list": str,
    "subscribed_rau_tau_timer": int,
}


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass
class Hss:
    provisioning_key: str | None
    subscribers: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        record = {"enabled": True, **self._checked(body)}
        if "imsi" not in record:
            raise Refused(400, "imsi is required")
        if any(s["imsi"] == record["imsi"] for s in self.subscribers.values()):
            raise Refused(400, "A database integrity error occurred: imsi is taken")
        record["subscriber_id"] = self.next_id
        self.subscribers[self.next_id] = record
        self.next_id += 1
        return record

    def find(self, subscriber_id: str) -> dict[str, Any]:
        found = self.subscribers.get(int(subscriber_id)) if subscriber_id.isdigit() else None
        if found is None:
            raise Refused(404, f"SUBSCRIBER {subscriber_id} not found")
        return found

    def by(self, key: str, value: str) -> dict[str, Any]:
        value = value.removeprefix("+") if key == "msisdn" else value
        for subscriber in self.subscribers.values():
            if subscriber.get(key) == value:
                return subscriber
        raise Refused(404, f"{key.upper()} {value} not found")

    def update(self, subscriber_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        found = self.find(subscriber_id)
        found.update(self._checked(body))
        return found

    def delete(self, subscriber_id: str) -> dict[str, Any]:
        found = self.find(subscriber_id)
        if found["enabled"]:
            raise Refused(400, "subscriber is enabled: disable it before deleting it")
        del self.subscribers[found["subscriber_id"]]
        return {"Result": f"Deleted SUBSCRIBER {subscriber_id}"}

    @staticmethod
    def _checked(body: Mapping[str, Any]) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in body.items():
            kind = FIELDS.get(name)
            if kind is None:
                raise Refused(400, f"SUBSCRIBER has no field {name!r}")
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise Refused(400, f"{name} must be {getattr(kind, '__name__', kind)}")
            checked[name] = value
        if "msisdn" in checked:  # pyHSS: a global E.164 number with its '+', stored as digits
            if not E164.fullmatch(checked["msisdn"]):
                raise Refused(400, "msisdn must be a global E.164 number with leading '+'")
            checked["msisdn"] = checked["msisdn"][1:]
        return checked


class Handler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("pyhss " + format % args + "\n")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        hss = self.server.hss
        with hss.lock:
            if self.path == "/_fake/calls":
                self._send(200, {"calls": hss.calls})
                return
            record: dict[str, Any] = {"method": method, "path": self.path}
            hss.calls.append(record)
            try:
                body = json.loads(raw) if raw else None
                record["body"] = body
                code, answer = self._route(hss, method, body)
            except Refused as refused:
                code, answer = refused.code, {"result": "Failed", "reason": refused.reason}
            except ValueError:
                code, answer = 400, {"result": "Failed", "reason": "the body is not JSON"}
            record["status"] = code
        self._send(code, answer)

    def _route(self, hss: Hss, method: str, body: Any) -> tuple[int, Mapping[str, Any]]:
        locked = method in {"PUT", "PATCH", "DELETE"} and hss.provisioning_key is not None
        if locked and self.headers.get("provisioning-key") != hss.provisioning_key:
            return 401, {"Result": "Unauthorized - Provisioning-Key Invalid"}
        parts = self.path.strip("/").split("/")
        if parts[0] != "subscriber":
            return 404, {"Result": "Not Found"}
        rest = parts[1:]
        if method == "PUT" and rest in ([], [""]):
            return 200, hss.create(_object(body))
        if method == "GET" and len(rest) == 2 and rest[0] in {"msisdn", "imsi"}:
            return 200, hss.by(rest[0], rest[1])
        if len(rest) == 1:
            if method == "GET":
                return 200, hss.find(rest[0])
            if method == "PATCH":
                return 200, hss.update(rest[0], _object(body))
            if method == "DELETE":
                return 200, hss.delete(rest[0])
        return 404, {"Result": "Not Found"}

    def _send(self, code: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    return body


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], hss: Hss) -> None:
        super().__init__(address, Handler)
        self.hss = hss


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--provisioning-key")
    args = parser.parse_args(argv)
    server = FakeServer((args.host, args.port), Hss(args.provisioning_key))
    sys.stdout.write(f"listening {server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
