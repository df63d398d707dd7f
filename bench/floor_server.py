"""simexit's HTTP stack and a submission's database work, with no domain code in between.

    python bench/floor_server.py --recording FILE --port N
    (SIMEXIT_DATABASE_URL names a copy of the file the recording was made on)

`bench/ceiling_bench.py` starts it. It is simexit's own server app (`build_server_app`: the same
middleware, routing, error handling, health endpoints and uvicorn options) with one more route,
POST /bench/floor. That route takes the submission's JSON body as the real route does, replays
on the event loop, in one transaction, the statements the next recorded submission sent to
SQLite, and answers the JSON body that submission answered. Between it and
POST /v1/cases/{id}/submit there is nothing but simexit's domain code.
"""

from __future__ import annotations

import argparse
import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any

import uvicorn

from simexit.api.transaction import RenderedJSONResponse
from simexit.api.v1.schemas import SubmitCreate
from simexit.db import SQLITE_BUSY_TIMEOUT_MS
from simexit.logging import configure_logging
from simexit.runtime import runtime_from_env
from simexit.server import build_server_app, uvicorn_options

Recorded = list[tuple[str, Any, bool]]  # statement, parameters, executemany


class Replayer:
    """Replays recorded transactions in the order they were recorded, one per call."""

    def __init__(self, database: str, transactions: list[Recorded], bodies: list[bytes]) -> None:
        self.conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "synchronous=NORMAL",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.work = list(zip(transactions, bodies, strict=True))
        self.next = 0
        self.lock = threading.Lock()

    def replay(self) -> bytes:
        with self.lock:
            if self.next >= len(self.work):
                raise RuntimeError("the recording is used up")
            statements, body = self.work[self.next]
            self.next += 1
            for statement, parameters, many in statements:
                if many:
                    self.conn.executemany(statement, parameters).fetchall()
                else:
                    self.conn.execute(statement, parameters).fetchall()
            self.conn.execute("COMMIT")
            return body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recording", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    transactions, bodies = pickle.loads(args.recording.read_bytes())  # noqa: S301 - our own file
    runtime = runtime_from_env()
    configure_logging(runtime.settings.log_level, runtime.settings.log_json)
    replayer = Replayer(
        runtime.settings.database_url.removeprefix("sqlite:///"), transactions, bodies
    )
    app = build_server_app(runtime, with_worker=False)

    @app.post("/bench/floor", include_in_schema=False)
    async def floor(body: SubmitCreate) -> RenderedJSONResponse:  # noqa: ARG001 - parsed as the real route parses it
        # On the event loop, as simexit's SQLite writes run when no other writer holds the file.
        return RenderedJSONResponse(replayer.replay())

    uvicorn.run(app, **uvicorn_options(host="127.0.0.1", port=args.port))


if __name__ == "__main__":
    main()
