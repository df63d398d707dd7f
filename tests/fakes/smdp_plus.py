"""A fake SM-DP+ speaking GSMA SGP.22 ES2+ (operator -> SM-DP+, §5.3), run as its own process.

    python -m tests.fakes.smdp_plus --host 127.0.0.5 --port 0 --cert c.pem --key k.pem

prints `listening <port>` once it accepts connections. HTTPS only, as §6.5 binds ES2+ to.

What it checks, on every request to `/gsma/rsp2/es2plus/<function>`:

* the `X-Admin-Protocol` header is `gsma/rsp/v2.<x>.<y>` (§6.5.1.2): else HTTP 400;
* the body is JSON and valid against the vendored schema of the function
  (`es2plus_schemas/`), plus what SGP.22 requires and the schemas leave out (see `STRICTER`):
  else HTTP 400 with a `Failed` status naming the field (reason 1.1 missing, 2.2 format);
* a `functionCallIdentifier` it already executed is answered as the first time, so a client's
  retry of a call whose answer it lost executes nothing twice.

Profile states per ICCID follow SGP.22 §3.1.3/§5.3: Available -> Allocated (DownloadOrder
without EID) or Linked (with EID) -> Confirmed (ConfirmOrder) -> Released (releaseFlag or
ReleaseProfile) -> Downloaded -> Installed; CancelOrder moves an order not yet downloaded to its
`finalProfileStatusIndicator` (Available or Unavailable). Test-only admin routes under `/_fake/`
seed profiles, read their state and the call log.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import ssl
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import jsonschema_rs

SCHEMAS: Final = Path(__file__).parent / "es2plus_schemas"
PATH: Final = "/gsma/rsp2/es2plus/"
ADMIN_PROTOCOL: Final = re.compile(r"gsma/rsp/v2\.\d+\.\d+")
SMDP_ADDRESS: Final = "smdp.fake.invalid"

REQUEST_SCHEMAS: Final = {
    "downloadOrder": "ostelco-ES2+DownloadOrder-def.json",
    "confirmOrder": "ostelco-ES2+ConfirmOrder-def.json",
    "cancelOrder": "ostelco-ES2+CancelOrder-def.json",
    "releaseProfile": "ostelco-ES2+ReleaseProfile-def.json",
}
RESPONSE_SCHEMAS: Final = {
    "downloadOrder": "ostelco-ES2+DownloadOrder-response.json",
    "confirmOrder": "ostelco-ES2+ConfirmOrder-response.json",
    "cancelOrder": "ostelco-ES2+HeaderOnly-response.json",
    "releaseProfile": "ostelco-ES2+HeaderOnly-response.json",
}
# SGP.22 beyond the vendored schemas: every request has the header (§5.3, "Function requester
# and call identifiers"); CancelOrder's finalProfileStatusIndicator is mandatory with two values
# (§5.3.4); DownloadOrder names an ICCID or a profile type (§5.3.1).
STRICTER: Final[Mapping[str, Mapping[str, Any]]] = {
    "downloadOrder": {
        "required": ["header"],
        "anyOf": [{"required": ["iccid"]}, {"required": ["profileType"]}],
    },
    "confirmOrder": {"required": ["header"]},
    "cancelOrder": {
        "required": ["header", "finalProfileStatusIndicator"],
        "properties": {"finalProfileStatusIndicator": {"enum": ["Available", "Unavailable"]}},
    },
    "releaseProfile": {"required": ["header"]},
}
# SGP.22 §5.2.6.1 subject codes, by the field a format error is about.
FIELD_SUBJECTS: Final = {
    "iccid": "8.2.1",
    "eid": "8.1.1",
    "profileType": "8.2.5",
    "matchingId": "8.2.6",
}
GENERIC_SUBJECT: Final = "8.1"  # the request as a whole (the fake's choice: SGP.22 names none)

# Profile states from which CancelOrder may end an order (SGP.22 §5.3.4: not yet downloaded).
CANCELLABLE: Final = frozenset({"Allocated", "Linked", "Confirmed", "Released", "Error"})


class Refusal(Exception):
    """An ES2+ `Failed` answer: subject and reason codes (SGP.22 §5.2.6) and a message."""

    def __init__(self, subject: str, reason: str, message: str, *, http: int = 200) -> None:
        super().__init__(message)
        self.subject, self.reason, self.message, self.http = subject, reason, message, http


@dataclass
class Profile:
    iccid: str
    state: str = "Available"
    profile_type: str | None = None
    eid: str | None = None
    matching_id: str | None = None


@dataclass
class Smdp:
    profiles: dict[str, Profile] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    executed: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the functions ---------------------------------------------------------------------------

    def download_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """SGP.22 §5.3.1."""
        eid = body.get("eid")
        if "iccid" in body:
            profile = self._known(body["iccid"])
            if profile.state != "Available":
                raise Refusal("8.2.1", "3.7", f"profile {profile.iccid} is {profile.state}")
        else:
            kind = body["profileType"]
            typed = [p for p in self.profiles.values() if p.profile_type == kind]
            if not typed:
                raise Refusal("8.2.5", "3.9", f"profile type {kind!r} is unknown")
            free = [p for p in typed if p.state == "Available"]
            if not free:
                raise Refusal("8.2.5", "3.7", f"no profile of type {kind!r} is available")
            profile = free[0]
        profile.eid = eid
        profile.state = "Linked" if eid else "Allocated"
        return {"iccid": profile.iccid}

    def confirm_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """SGP.22 §5.3.2."""
        profile = self._known(body["iccid"])
        if profile.state not in {"Allocated", "Linked"}:
            raise Refusal("8.2.1", "3.8", f"profile {profile.iccid} is {profile.state}")
        eid = body.get("eid")
        if eid and profile.eid and eid != profile.eid:
            raise Refusal("8.1.1", "3.10", "the EID is not the one the order is linked to")
        profile.eid = profile.eid or eid
        profile.matching_id = body.get("matchingId") or secrets.token_hex(8).upper()
        profile.state = "Released" if body["releaseFlag"] else "Confirmed"
        answer: dict[str, Any] = {"matchingId": profile.matching_id, "smdpAddress": SMDP_ADDRESS}
        if profile.eid:
            answer["eid"] = profile.eid
        return answer

    def cancel_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """SGP.22 §5.3.4: only an order not yet downloaded can be cancelled; a profile
        downloaded, installed or already final is refused (8.2.1 / 3.8)."""
        profile = self._known(body["iccid"])
        eid = body.get("eid")
        if eid and profile.eid and eid != profile.eid:
            raise Refusal("8.1.1", "3.10", "the EID is not the one the profile is linked to")
        matching_id = body.get("matchingId")
        if matching_id and profile.matching_id and matching_id != profile.matching_id:
            raise Refusal("8.2.6", "3.10", "the matching ID is not the profile's")
        if profile.state not in CANCELLABLE:
            raise Refusal("8.2.1", "3.8", f"profile {profile.iccid} is {profile.state}")
        profile.state = body["finalProfileStatusIndicator"]
        if profile.state == "Available":
            profile.eid = profile.matching_id = None
        return {}

    def release_profile(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """SGP.22 §5.3.3."""
        profile = self._known(body["iccid"])
        if profile.state != "Confirmed":
            raise Refusal("8.2.1", "3.8", f"profile {profile.iccid} is {profile.state}")
        profile.state = "Released"
        return {}

    def _known(self, iccid: str) -> Profile:
        profile = self.profiles.get(iccid)
        if profile is None:  # SGP.22 §5.3.x: "Profile ICCID - Unknown"
            raise Refusal("8.2.1", "3.9", f"profile {iccid} is unknown")
        return profile


FUNCTIONS: Final[Mapping[str, Callable[[Smdp, Mapping[str, Any]], dict[str, Any]]]] = {
    "downloadOrder": Smdp.download_order,
    "confirmOrder": Smdp.confirm_order,
    "cancelOrder": Smdp.cancel_order,
    "releaseProfile": Smdp.release_profile,
}


def _load(name: str) -> Any:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _validators() -> dict[str, list[Any]]:
    return {
        function: [jsonschema_rs.validator_for(_load(name)), jsonschema_rs.validator_for(extra)]
        for function, name in REQUEST_SCHEMAS.items()
        for extra in [dict(STRICTER[function])]
    }


REQUESTS: Final = _validators()
RESPONSES: Final = {f: jsonschema_rs.validator_for(_load(n)) for f, n in RESPONSE_SCHEMAS.items()}


def schema_refusal(function: str, body: Any) -> Refusal | None:
    for validator in REQUESTS[function]:
        for error in validator.iter_errors(body):
            path = [str(p) for p in error.instance_path]
            missing = "required property" in error.message
            name = re.search(r'"([A-Za-z]+)" is a required', error.message)
            subject_field = path[0] if path else (name.group(1) if name else "")
            return Refusal(
                FIELD_SUBJECTS.get(subject_field, GENERIC_SUBJECT),
                "1.1" if missing else "2.2",
                f"schema: {'/'.join(path) or '(body)'}: {error.message}",
                http=400,
            )
    return None


def status(refusal: Refusal | None) -> dict[str, Any]:
    if refusal is None:
        return {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}
    data = {"subjectCode": refusal.subject, "reasonCode": refusal.reason}
    data["message"] = refusal.message
    return {"header": {"functionExecutionStatus": {"status": "Failed", "statusCodeData": data}}}


class Handler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("smdp+ " + format % args + "\n")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.startswith("/_fake/"):
            self._admin_post(raw)
            return
        function = self.path.removeprefix(PATH) if self.path.startswith(PATH) else ""
        if function not in FUNCTIONS:
            self._send(404, {"error": f"no ES2+ function at {self.path}"})
            return
        http, answer = self._es2plus(function, raw)
        self._send(http, answer, es2plus=True)

    def do_GET(self) -> None:
        smdp = self.server.smdp
        with smdp.lock:
            if self.path == "/_fake/calls":
                self._send(200, {"calls": smdp.calls})
                return
            iccid = self.path.removeprefix("/_fake/profiles/")
            profile = smdp.profiles.get(iccid)
            if profile is None:
                self._send(404, {"error": "unknown"})
                return
            self._send(200, profile.__dict__)

    def _es2plus(self, function: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        smdp = self.server.smdp
        protocol = self.headers.get("x-admin-protocol")
        record: dict[str, Any] = {"function": function, "admin_protocol": protocol}
        with smdp.lock:
            smdp.calls.append(record)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            record["body"] = body
            http, answer = self._execute(smdp, function, protocol, body)
            record["http"], record["answer"] = http, answer
            return http, answer

    def _execute(
        self, smdp: Smdp, function: str, protocol: str | None, body: Any
    ) -> tuple[int, dict[str, Any]]:
        if protocol is None or not ADMIN_PROTOCOL.fullmatch(protocol):
            # SGP.22 §6.5.1.2: the X-Admin-Protocol header names the protocol and its version.
            wrong = Refusal(GENERIC_SUBJECT, "2.2", f"X-Admin-Protocol {protocol!r}", http=400)
            return 400, status(wrong)
        if not (self.headers.get("content-type") or "").startswith("application/json"):
            return 400, status(Refusal(GENERIC_SUBJECT, "2.2", "not JSON", http=400))
        refusal = schema_refusal(function, body)
        if refusal is not None:
            return 400, status(refusal)
        header = body["header"]
        key = (header["functionRequesterIdentifier"], header["functionCallIdentifier"])
        repeat = smdp.executed.get(key)
        if repeat is not None and repeat[0] == function:
            return 200, repeat[1]
        try:
            answer = {**status(None), **FUNCTIONS[function](smdp, body)}
        except Refusal as failed:
            return failed.http, status(failed)
        if not RESPONSES[function].is_valid(answer):  # the fake checks itself too
            return 500, {"error": "the fake built an answer its schema refuses"}
        smdp.executed[key] = (function, answer)
        return 200, answer

    def _admin_post(self, raw: bytes) -> None:
        smdp = self.server.smdp
        body = json.loads(raw or b"{}")
        with smdp.lock:
            if self.path == "/_fake/profiles":
                profile = Profile(
                    iccid=body["iccid"],
                    state=body.get("state", "Available"),
                    profile_type=body.get("profileType"),
                    eid=body.get("eid"),
                    matching_id=body.get("matchingId"),
                )
                smdp.profiles[profile.iccid] = profile
                self._send(201, profile.__dict__)
                return
        self._send(404, {"error": "unknown admin route"})

    def _send(self, code: int, body: Mapping[str, Any], *, es2plus: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        if es2plus:
            self.send_header("x-admin-protocol", "gsma/rsp/v2.2.0")
        self.end_headers()
        self.wfile.write(data)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], smdp: Smdp) -> None:
        super().__init__(address, Handler)
        self.smdp = smdp


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    server = FakeServer((args.host, args.port), Smdp())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stdout.write(f"listening {server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
