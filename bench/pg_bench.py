"""One operator's cancellations end to end on PostgreSQL (1 and 2 servers) against SQLite.

    uv run python bench/pg_bench.py [--clients 8] [--cancellations 300] [--rounds 2]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A cancellation is what a subscriber's app or a CRM sends: open the case (POST /v1/cases),
attest identity, submit; its latency is the three together. In one run, repeated A B C A B C
(`--rounds`), each phase on a fresh database seeded by the server's own first start:

  * sqlite:   one `simexit serve --no-worker` on a SQLite file;
  * pg x1:    one `simexit serve --no-worker` on a new PostgreSQL database;
  * pg x2:    two of them on one new PostgreSQL database, the clients shared between them.

For each it prints cancellations/s, p50/p99 ms per cancellation, CPU ms per cancellation of the
simexit processes and (PostgreSQL) of the database's backends, and the share of the time
sessions spent inside a transaction that they spent waiting on a lock (pg_stat_activity sampled
every 5 ms). Then the figures the issue aims at, as ratios measured in this run: pg x2
throughput over sqlite's (aim >= 1), simexit CPU per cancellation pg x1 over sqlite (aim <=
1.5), lock waits (aim < 10%). After each phase `simexit audit seal` links the phase's audit
events; how many and how long it took (process start-up included) are printed too: the sealer
must keep up with the writers. No worker runs
during a phase, as in the issue's measurement. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa
from api_bench import SIMEXIT, process_cpu_seconds, start_process

from simexit import models

OPERATOR = "telenor-no"


@dataclass
class Phase:
    name: str
    cancellations: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    simexit_cpu: float = 0.0
    postgres_cpu: float | None = None
    lock_share: float | None = None
    sealed: int = 0
    seal_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.cancellations / self.seconds if self.seconds else float("nan")

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def per_cancellation(self, cpu: float | None) -> float:
        return cpu / self.cancellations * 1000 if cpu is not None and self.cancellations else 0.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path


def start_server(url: str, directory: Path, name: str) -> Server:
    """`simexit serve --no-worker` on `url`, seeding the demo when the database is empty."""
    env = {"SIMEXIT_DATABASE_URL": url, "SIMEXIT_SEED_DEMO": "true"}
    process, base, log = start_process(
        [str(SIMEXIT), "serve", "--no-worker"],
        directory,
        directory / "unused.db",  # the URL in `env` wins over this SQLite default
        directory / f"{name}.log",
        env=env,
    )
    return Server(process, base, log)


def api_key(servers: list[Server]) -> str:
    for server in servers:
        for line in server.log.read_text().splitlines():
            if f"API key {OPERATOR}:" in line:
                return line.split(f"API key {OPERATOR}:", 1)[1].split()[0]
    raise SystemExit("no server printed the demo API key")


def table(model: type[object]) -> sa.Table:
    found = getattr(model, "__table__", None)
    if not isinstance(found, sa.Table):
        raise TypeError(f"{model} maps no table")
    return found


def clone_lines(url: str, count: int) -> list[str]:
    """Fresh active lines of the operator, each with a subscriber of its own (copies of one
    clean postpaid line of the demo), written straight into the database."""
    engine = sa.create_engine(url)
    lines, subscribers, operators = (
        table(model) for model in (models.Line, models.Subscriber, models.Operator)
    )
    with engine.begin() as conn:
        template = (
            conn.execute(
                sa.select(lines)
                .join(operators, operators.c.id == lines.c.operator_id)
                .where(
                    operators.c.code == OPERATOR,
                    lines.c.status == "active",
                    lines.c.plan == "postpaid",
                    lines.c.kind == "physical_sim",
                    lines.c.unpaid_bills_minor == 0,
                    lines.c.port_pending.is_(False),
                )
                .limit(1)
            )
            .mappings()
            .one()
        )
        owner = (
            conn.execute(
                sa.select(subscribers).where(subscribers.c.id == template["subscriber_id"])
            )
            .mappings()
            .one()
        )
        new_subscribers, new_lines = [], []
        for n in range(count):
            subscriber_id = uuid.uuid4()
            new_subscribers.append(
                {
                    **owner,
                    "id": subscriber_id,
                    "email": f"bench{n}@example.org",
                    "phone_e164": f"+479{n:07d}",
                }
            )
            new_lines.append(
                {
                    **template,
                    "id": uuid.uuid4(),
                    "subscriber_id": subscriber_id,
                    "msisdn": f"+479{n:07d}",
                    "iccid": None,
                }
            )
        conn.execute(subscribers.insert(), new_subscribers)
        conn.execute(lines.insert(), new_lines)
    engine.dispose()
    return [str(line["id"]) for line in new_lines]


class LockSampler:
    """Samples pg_stat_activity of one database: of the sessions inside a transaction, how many
    wait on a lock. The share over the phase is lock-waiting samples over in-transaction ones."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        self.in_transaction = 0
        self.on_locks = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        query = sa.text(
            "SELECT count(*) FILTER (WHERE xact_start IS NOT NULL), "
            "count(*) FILTER (WHERE xact_start IS NOT NULL AND wait_event_type = 'Lock') "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                inside, waiting = conn.execute(query).one()
                conn.rollback()
                self.in_transaction += inside
                self.on_locks += waiting
                self.stop.wait(0.005)

    def __enter__(self) -> LockSampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()

    @property
    def share(self) -> float:
        return self.on_locks / self.in_transaction if self.in_transaction else 0.0


def backend_pids(url: str) -> list[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        found = list(pids)
    engine.dispose()
    return found


def cpu_of(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) or 0.0 for pid in pids)


def cancel_all(servers: list[Server], key: str, line_ids: list[str], clients: int) -> Phase:
    """`clients` threads, each taking the next line and cancelling it on its own server."""
    phase = Phase("")
    lock = threading.Lock()
    todo = iter(line_ids)

    def client(index: int) -> None:
        server = servers[index % len(servers)]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as http:
            while True:
                with lock:
                    line_id = next(todo, None)
                if line_id is None:
                    return
                began = time.perf_counter()
                ok = cancel_one(http, line_id)
                elapsed = time.perf_counter() - began
                with lock:
                    phase.latencies.append(elapsed)
                    phase.cancellations += ok
                    phase.errors += not ok

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, n) for n in range(clients)]:
            future.result()
    phase.seconds = time.perf_counter() - began
    return phase


def cancel_one(http: httpx.Client, line_id: str) -> bool:
    opened = http.post("/v1/cases", json={"line_id": line_id, "type": "terminate"})
    if opened.status_code != 201:
        return False
    case_id = opened.json()["id"]
    attested = http.post(f"/v1/cases/{case_id}/identity", json={"method": "id_document"})
    submitted = http.post(f"/v1/cases/{case_id}/submit", json={"consent": "yes"})
    return attested.status_code < 300 and submitted.status_code < 300


def seal(url: str, directory: Path, phase: Phase) -> None:
    env = {**os.environ, "SIMEXIT_DATABASE_URL": url, "SIMEXIT_LOG_LEVEL": "WARNING"}
    began = time.perf_counter()
    done = subprocess.run(
        [str(SIMEXIT), "audit", "seal"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    phase.seal_seconds = time.perf_counter() - began
    phase.sealed = int(done.stdout.strip().splitlines()[-1].split()[0])


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"simexit_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_phase(name: str, url: str, servers_wanted: int, args: argparse.Namespace) -> Phase:
    with tempfile.TemporaryDirectory(prefix="simexit-pg-bench-") as tmp:
        directory = Path(tmp)
        if url.startswith("sqlite"):
            url = f"sqlite:///{directory / 'bench.db'}"
        servers = [start_server(url, directory, "server0")]
        servers += [start_server(url, directory, f"server{n}") for n in range(1, servers_wanted)]
        try:
            key = api_key(servers)
            warm = clone_lines(url, args.clients * 4)
            lines = clone_lines(url, args.cancellations)
            cancel_all(servers, key, warm, args.clients)
            postgres = not url.startswith("sqlite")
            pids = backend_pids(url) if postgres else []
            cpu_before = sum(process_cpu_seconds(s.process.pid) or 0.0 for s in servers)
            pg_before = cpu_of(pids)
            if postgres:
                with LockSampler(url) as sampler:
                    phase = cancel_all(servers, key, lines, args.clients)
                phase.lock_share = sampler.share
                phase.postgres_cpu = cpu_of(pids) - pg_before
            else:
                phase = cancel_all(servers, key, lines, args.clients)
            phase.simexit_cpu = (
                sum(process_cpu_seconds(s.process.pid) or 0.0 for s in servers) - cpu_before
            )
            phase.name = name
        finally:
            for server in servers:
                server.process.send_signal(signal.SIGTERM)
            for server in servers:
                server.process.wait(60)
        seal(url, directory, phase)
        return phase


def print_table(phases: list[Phase]) -> None:
    print(
        f"{'phase':8} {'cancel/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'simexit CPU ms':>14} {'postgres CPU ms':>15} {'lock waits':>10} {'audit seal (CLI, start-up incl.)':>33}"
    )
    for p in phases:
        lock = f"{p.lock_share:10.1%}" if p.lock_share is not None else f"{'-':>10}"
        pg = (
            f"{p.per_cancellation(p.postgres_cpu):15.2f}"
            if p.postgres_cpu is not None
            else f"{'-':>15}"
        )
        print(
            f"{p.name:8} {p.rate:9.1f} {p.pct(0.5):7.1f} {p.pct(0.99):7.1f} {p.errors:6d} "
            f"{p.per_cancellation(p.simexit_cpu):14.2f} {pg} {lock} "
            f"{p.sealed:7d} in {p.seal_seconds:4.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cancellations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    results: dict[str, list[Phase]] = {"sqlite": [], "pg x1": [], "pg x2": []}
    for _ in range(args.rounds):
        results["sqlite"].append(run_phase("sqlite", "sqlite", 1, args))
        for name, count in (("pg x1", 1), ("pg x2", 2)):
            with postgres_database(args.postgres) as url:
                results[name].append(run_phase(name, url, count, args))
    print(
        f"simexit: {args.cancellations} cancellations of one operator per phase (open, attest, "
        f"submit over HTTP), {args.clients} client threads, {os.cpu_count()} cores, "
        f"{args.rounds} rounds A B C"
    )
    print_table([phase for round_ in zip(*results.values(), strict=True) for phase in round_])

    def median(name: str, value: str) -> float:
        return statistics.median(getattr_or_call(p, value) for p in results[name])

    sqlite_rate, pg2_rate = median("sqlite", "rate"), median("pg x2", "rate")
    sqlite_cpu, pg1_cpu = median("sqlite", "cpu"), median("pg x1", "cpu")
    locks = max(p.lock_share or 0.0 for name in ("pg x1", "pg x2") for p in results[name])
    print("medians over the rounds, against the aims of issue 23:")
    print(f"  pg x2 throughput / sqlite:        {pg2_rate / sqlite_rate:5.2f}  (aim >= 1)")
    print(f"  pg x1 simexit CPU / sqlite:       {pg1_cpu / sqlite_cpu:5.2f}  (aim <= 1.5)")
    print(f"  pg x1 -> x2 throughput:           {pg2_rate / median('pg x1', 'rate'):5.2f}")
    print(f"  worst lock-wait share (pg):       {locks:5.1%}  (aim < 10%)")


def getattr_or_call(phase: Phase, value: str) -> float:
    return phase.rate if value == "rate" else phase.per_cancellation(phase.simexit_cpu)


if __name__ == "__main__":
    sys.exit(main())
