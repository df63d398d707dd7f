"""A receiver of signed provisioning webhooks (Standard Webhooks), run as its own process.

    python -m tests.fakes.signed_webhook --host 127.0.0.9 --port 0 --secret whsec_...

prints `listening <port>` once it accepts connections. `POST` to any path outside `/_fake/`:

* the signature is checked by this file's own implementation of the Standard Webhooks
  algorithm (standardwebhooks.com, "Verifying webhooks"), not by simexit's code: the three
  headers must be there, `webhook-timestamp` within 5 minutes of this process's clock, and one
  of the space-separated `v1,<base64>` signatures in `webhook-signature` equal to
  base64(HMAC-SHA256(base64-decoded secret after `whsec_`, "<id>.<timestamp>.<raw body>"));
  else 401 with `{"error": ...}`;
* the body must be a JSON object with `type`, `call_id` (equal to `webhook-id`) and a `data`
  object, else 400;
* a `webhook-id` already acknowledged is answered 200 again, `{"repeat": true}`, and not
  applied twice (the receiver's side of idempotency);
* otherwise the call is applied (kept in the list of applied calls) and answered 200, unless
  the fake was told to answer the call's type with another status (`POST /_fake/answer` with
  `{"type": t, "status": 503}`; `"status": null` stops it).

`GET /_fake/calls` lists every call received (`id`, `type`, `data`, `status`, `repeat`);
`GET /_fake/applied` the calls applied, once each, in order.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

TOLERANCE_SECONDS: Final = 300


def signature_problem(
    secret: str, headers: Mapping[str, str], raw: bytes, now: float
) -> str | None:
    """Why the request's Standard Webhooks signature is refused, or None when it is good."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    if not timestamp.isdigit():
        return "webhook-timestamp is not a number of seconds"
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return "webhook-timestamp is too old or too new"
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + raw
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return None
    return "no signature matches"


@dataclass
class Receiver:
    secret: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    applied: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)  # type -> status to answer
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("signed-webhook " + format % args + "\n")

    def do_GET(self) -> None:
        receiver = self.server.receiver
        with receiver.lock:
            if self.path == "/_fake/calls":
                self._send(200, {"calls": receiver.calls})
            elif self.path == "/_fake/applied":
                self._send(200, {"applied": receiver.applied})
            else:
                self._send(405, {"error": "POST only"})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        receiver = self.server.receiver
        with receiver.lock:
            if self.path == "/_fake/answer":
                wanted = json.loads(raw)
                if wanted.get("status") is None:
                    receiver.answers.pop(wanted["type"], None)
                else:
                    receiver.answers[wanted["type"]] = int(wanted["status"])
                self._send(200, {"answers": receiver.answers})
                return
            code, answer = self._receive(receiver, raw)
        self._send(code, answer)

    def _receive(self, receiver: Receiver, raw: bytes) -> tuple[int, dict[str, Any]]:
        headers = {name.lower(): value for name, value in self.headers.items()}
        record: dict[str, Any] = {"id": headers.get("webhook-id"), "repeat": False}
        receiver.calls.append(record)
        problem = signature_problem(receiver.secret, headers, raw, time.time())
        if problem is not None:
            record["status"] = 401
            return 401, {"error": f"signature refused: {problem}"}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("type"), str)
            or body.get("call_id") != headers["webhook-id"]
            or not isinstance(body.get("data"), dict)
        ):
            record["status"] = 400
            return 400, {"error": "the body must be {type, call_id (= webhook-id), data}"}
        record.update(type=body["type"], data=body["data"])
        if headers["webhook-id"] in receiver.acknowledged:
            record.update(status=200, repeat=True)
            return 200, {"repeat": True}
        status = receiver.answers.get(body["type"], 200)
        record["status"] = status
        if status != 200:
            return status, {"error": f"the fake answers {body['type']} with {status}"}
        receiver.acknowledged.add(headers["webhook-id"])
        receiver.applied.append({"id": headers["webhook-id"], **body})
        return 200, {"done": True}

    def _send(self, code: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], receiver: Receiver) -> None:
        super().__init__(address, Handler)
        self.receiver = receiver


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    server = FakeServer((args.host, args.port), Receiver(args.secret))
    sys.stdout.write(f"listening {server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
