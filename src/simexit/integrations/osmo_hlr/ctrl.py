"""The Osmocom CTRL protocol over IPA framing, as osmo-hlr serves it (TCP, port 4259).

Each message is an IPA frame: a two-byte big-endian length, the protocol byte 0xEE (IPA's
"Osmocom extension"), then the extension byte 0x00 (CTRL) and the text, the length counting
both. The text is `GET <id> <variable>` or `SET <id> <variable> <value>`; the answer repeats the
id: `GET_REPLY <id> <variable> <value>`, `SET_REPLY <id> <variable> <value>` or
`ERROR <id> <reason>`. A peer may also send `TRAP` messages at any time; they are skipped.
"""

from __future__ import annotations

import itertools
import socket
import struct
from dataclasses import dataclass
from typing import Final

IPA_PROTO_OSMO: Final = 0xEE
IPA_EXT_CTRL: Final = 0x00
MAX_FRAME: Final = 0xFFFF
_ids = itertools.count(1)


class CtrlError(Exception):
    """The peer answered `ERROR <id> <reason>`: `reason` is its text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CtrlReply:
    verb: str  # GET_REPLY | SET_REPLY
    variable: str
    value: str


def frame(text: str) -> bytes:
    body = bytes([IPA_EXT_CTRL]) + text.encode("ascii")
    if len(body) > MAX_FRAME:
        raise ValueError("a CTRL message is at most 65535 bytes")
    return struct.pack(">HB", len(body), IPA_PROTO_OSMO) + body


def parse(payload: bytes) -> tuple[str, str, str]:
    """(verb, id, rest) of one CTRL text."""
    text = payload.decode("ascii", errors="replace")
    verb, _, rest = text.partition(" ")
    message_id, _, rest = rest.partition(" ")
    return verb, message_id, rest


class CtrlConnection:
    """One TCP connection to a CTRL server; every read and write is bound by `timeout`."""

    def __init__(self, host: str, port: int, *, timeout: float) -> None:
        self._socket = socket.create_connection((host, port), timeout=timeout)
        self._socket.settimeout(timeout)

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> CtrlConnection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, variable: str) -> str:
        return self._command("GET", variable, None).value

    def set(self, variable: str, value: str) -> str:
        return self._command("SET", variable, value).value

    def _command(self, verb: str, variable: str, value: str | None) -> CtrlReply:
        message_id = str(next(_ids))
        text = f"{verb} {message_id} {variable}" + ("" if value is None else f" {value}")
        self._socket.sendall(frame(text))
        while True:
            answer, answer_id, rest = parse(self._read_frame())
            if answer == "TRAP" or answer_id != message_id:
                continue
            if answer == "ERROR":
                raise CtrlError(rest)
            name, _, answered = rest.partition(" ")
            return CtrlReply(answer, name, answered)

    def _read_frame(self) -> bytes:
        while True:
            length, protocol = struct.unpack(">HB", self._read(3))
            body = self._read(length)
            if protocol == IPA_PROTO_OSMO and body[:1] == bytes([IPA_EXT_CTRL]):
                return body[1:]
            # IPA keep-alives (PING/PONG on the CCM protocol) and other protocols: not ours.

    def _read(self, size: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            chunk = self._socket.recv(size - len(chunks))
            if not chunk:
                raise ConnectionError("the CTRL peer closed the connection")
            chunks += chunk
        return bytes(chunks)
