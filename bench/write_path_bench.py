"""What a case write costs in simexit, against the raw database doing exactly the same work.

    uv run python bench/write_path_bench.py [--cases 1000]

On a SQLite file prepared through a real `simexit serve` (demo data, N fresh lines, N cases
opened and identity-checked), it runs in one process, in the same run:
  * service: `cases.submit` (and `cases.open_case` on fresh lines), one write transaction each,
    as the API runs it minus HTTP, recording every statement and its parameters as SQLAlchemy
    hands them to the driver;
  * raw database: the recorded statements replayed with the standard library's sqlite3 on an
    identical copy of the starting file, one transaction per request, same pragmas, no ORM,
    no SQLAlchemy, no domain code.
It prints milliseconds per request for both and raw/service: how much of a write is the database
itself. `bench/api_bench.py` gives the HTTP side. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent))
import api_bench

Recorded = list[tuple[str, Any, bool]]  # statement, parameters, executemany
ROUND = 100  # requests per timed round


def prepare(directory: Path, cases: int) -> tuple[Path, str, list[str], list[str]]:
    """A checkpointed SQLite file with `cases` cases ready to submit and as many fresh lines."""
    directory.mkdir()
    process, base, key, database = api_bench.start_server(directory)
    try:
        lines = api_bench.clone_lines(database, cases * 2)
        case_ids = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            for line_id in lines[:cases]:
                opened = client.post("/v1/cases", json={"line_id": line_id, "type": "terminate"})
                case_ids.append(opened.json()["id"])
                client.post(f"/v1/cases/{case_ids[-1]}/identity", json={"method": "id_document"})
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database, key, case_ids, lines[cases:]


def run_service(
    database: Path, key: str, work: list[str], kind: str
) -> tuple[list[float], list[Recorded], list[bytes]]:
    """Run `kind` for each item in one write transaction each, as the API does without HTTP:
    ms per request in rounds, the statements each request sent, and the JSON body the API
    would have answered each with (rendered after the clock, outside the rounds)."""
    os.environ["SIMEXIT_DATABASE_URL"] = f"sqlite:///{database}"
    from sqlalchemy import event

    from simexit.api.transaction import actor_of_key
    from simexit.api.v1.cases import case_reply
    from simexit.cases import service as cases
    from simexit.clock import utc_now
    from simexit.config import get_settings
    from simexit.logging import configure_logging
    from simexit.policies.model import Channel, RequestType
    from simexit.runtime import Runtime

    configure_logging("WARNING")
    get_settings.cache_clear()
    runtime = Runtime(get_settings())
    context = runtime.cases  # packs loaded before the clock starts
    transactions: list[Recorded] = []
    answered: list[tuple[Any, Any]] = []  # (case, actor) of each request

    @event.listens_for(runtime.db.engine, "before_cursor_execute")
    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        # A batched INSERT .. RETURNING (SQLAlchemy's "insertmanyvalues") is flagged executemany
        # but reaches the driver as one statement with one flat parameter tuple.
        batched = many and bool(parameters) and isinstance(parameters[0], tuple | list)
        transactions[-1].append((statement, parameters, batched))

    def submit(session: Any, actor: Any, case_id: str) -> Any:
        return cases.submit(
            session,
            context,
            actor=actor,
            case_id=uuid.UUID(case_id),
            now=utc_now(),
            consent_text="yes",
        )

    def open_case(session: Any, actor: Any, line_id: str) -> Any:
        return cases.open_case(
            session,
            context,
            actor=actor,
            line_id=uuid.UUID(line_id),
            case_type=RequestType.terminate,
            channel=Channel.api,
            now=utc_now(),
        )

    action: Callable[[Any, Any, str], Any] = submit if kind == "submit" else open_case

    def request(item: str) -> None:
        with runtime.db.session() as session:
            actor = actor_of_key(session, key)
            result = action(session, actor, item)
            answered.append((getattr(result, "case", result), actor))  # open gives an OpenResult

    rounds: list[float] = []
    for start in range(0, len(work), ROUND):
        began = time.perf_counter()
        for item in work[start : start + ROUND]:
            transactions.append([])
            request(item)
        rounds.append((time.perf_counter() - began) / len(work[start : start + ROUND]))
    bodies = []
    for case, actor in answered:
        body = case_reply(case, actor).body
        if not isinstance(body, BaseModel):  # a case reply is always the CaseRead model
            raise TypeError(f"unexpected reply body {type(body).__name__}")
        bodies.append(body.model_dump_json().encode())
    runtime.db.dispose()
    return rounds, transactions, bodies


def replay(database: Path, transactions: list[Recorded]) -> list[float]:
    conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "synchronous=NORMAL",
        "busy_timeout=30000",
    ):
        conn.execute(f"PRAGMA {pragma}")
    rounds: list[float] = []
    for start in range(0, len(transactions), ROUND):
        chunk = transactions[start : start + ROUND]
        began = time.perf_counter()
        for statements in chunk:
            for statement, parameters, many in statements:
                if many:
                    conn.executemany(statement, parameters).fetchall()
                else:
                    conn.execute(statement, parameters).fetchall()
            conn.execute("COMMIT")
        rounds.append((time.perf_counter() - began) / len(chunk))
    conn.close()
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simexit-write-bench-") as tmp:
        prepared, key, case_ids, fresh_lines = prepare(Path(tmp) / "server", args.cases)
        rows = []
        for kind, work in (("submit", case_ids), ("open", fresh_lines)):
            service_copy, raw_copy = Path(tmp) / f"{kind}-service.db", Path(tmp) / f"{kind}-raw.db"
            shutil.copy(prepared, service_copy)
            shutil.copy(prepared, raw_copy)
            service_rounds, transactions, _ = run_service(service_copy, key, work, kind)
            raw_rounds = replay(raw_copy, transactions)
            statements = sum(len(t) for t in transactions) / len(transactions)
            rows.append((kind, service_rounds, raw_rounds, statements))
    print(
        f"simexit write path: SQLite file, one process, {args.cases} requests each, "
        f"in rounds of {ROUND}"
    )
    print(
        f"{'request':10} {'statements':>10} {'service ms':>18} {'raw db ms':>18} {'raw/service':>12}"
    )
    for kind, service_rounds, raw_rounds, statements in rows:
        service_best, raw_best = min(service_rounds) * 1000, min(raw_rounds) * 1000
        service_median = statistics.median(service_rounds) * 1000
        raw_median = statistics.median(raw_rounds) * 1000
        print(
            f"{kind:10} {statements:10.1f} {service_best:8.3f} ({service_median:7.3f}) "
            f"{raw_best:8.3f} ({raw_median:7.3f}) {raw_best / service_best:12.0%}"
        )
    print("service: the case service in one write transaction, as the API runs it without HTTP.")
    print("raw db: the same statements and parameters replayed through sqlite3 (BEGIN..COMMIT).")
    print("ms per request in the best round (the median round in brackets): the machine is shared,")
    print(
        "and the best round is the one least disturbed by its neighbours. raw/service: best rounds."
    )


if __name__ == "__main__":
    main()
