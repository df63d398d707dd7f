"""Campaigns on PostgreSQL: N lines imported with the bulk import, a suspension and a termination
campaign run by two `simexit worker` processes, against raw SQL making the same row changes, with
interactive `POST /v1/cases/{id}/submit` at a fixed rate against a `simexit serve --no-worker`
meanwhile.

    uv run python bench/campaign_bench.py [--lines 100000] [--terminate-lines N]
        [--workers 2] [--submit-rate 5]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The database is new (migrated, the demo seeded). The N lines go to an operator of their own
(`bench-no`, no/telenor pack) through `imports.flows.import_rows`; the interactive cases are on
other lines of the demo's Telenor operator, so the campaign never selects them.

Per action it prints: the raw floor (the same line rows changed by `UPDATE ... WHERE id =
ANY(...)`, 250 a transaction, with no rules, audit, cases or jobs), the campaign's lines/s and
wall time, campaign/raw as a ratio, the peak RSS (VmHWM) of each worker process, and the p50/p99
of the submits sent during the campaign. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import write_file  # noqa: E402
from tests.fixtures.factories import create_operator  # noqa: E402

from simexit import migrate  # noqa: E402
from simexit.campaigns import service as campaigns  # noqa: E402
from simexit.campaigns.rules import Action, Selection  # noqa: E402
from simexit.cases import service as cases  # noqa: E402
from simexit.cases.context import CaseContext  # noqa: E402
from simexit.db import Database  # noqa: E402
from simexit.imports import service as imports  # noqa: E402
from simexit.imports.flows import import_rows  # noqa: E402
from simexit.imports.reader import FileFormat, RowSource  # noqa: E402
from simexit.imports.rows import KNOWN_COLUMNS  # noqa: E402
from simexit.models import Case, Line, Operator  # noqa: E402
from simexit.policies.loader import load_registry  # noqa: E402
from simexit.policies.model import Channel, RequestType  # noqa: E402
from simexit.principals import Actor, ActorType, StaffRole  # noqa: E402
from simexit.seed.demo import seed_demo  # noqa: E402
from simexit.verification.methods import Method  # noqa: E402

SIMEXIT = Path(sys.executable).parent / "simexit"
SECRET = "bench-secret-key-0123456789abcdef0123"  # noqa: S105 - a throw-away database
RAW_CHUNK = 250


def now() -> datetime:
    return datetime.now(UTC)


def new_database(server_url: str) -> tuple[str, sa.Engine]:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"simexit_campaign_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False), admin


def import_lines(db: Database, path: Path, code: str) -> float:
    packs = load_registry()
    with db.read_session() as session:
        operator = imports.operator_by_code(session, code)
    target = imports.target_for(
        operator, packs=packs, secret=b"b" * 32, fmt=FileFormat.csv, now=now()
    )
    started = time.perf_counter()
    with path.open("rb") as stream:
        import_rows(
            RowSource(stream, FileFormat.csv, known_columns=KNOWN_COLUMNS),
            begin=db.session,
            target=target,
            on_rejection=lambda _r: None,
            now=now(),
            batch_size=2000,
        )
    return time.perf_counter() - started


def line_ids(db: Database, operator_id: uuid.UUID) -> list[uuid.UUID]:
    with db.read_session() as session:
        return list(
            session.scalars(
                sa.select(Line.id).where(Line.operator_id == operator_id).order_by(Line.id)
            )
        )


RAW = {
    Action.suspend: "UPDATE lines SET status = 'suspended', suspension_flags = '[\"regulatory\"]', "
    "suspended_since = CURRENT_DATE, updated_at = now() WHERE id = ANY(%s)",
    Action.terminate: "UPDATE lines SET status = 'pending_termination', updated_at = now() "
    "WHERE id = ANY(%s)",
}
RESET = (
    "UPDATE lines SET status = 'active', suspension_flags = '[]', suspended_since = NULL "
    "WHERE operator_id = %s"
)


def raw_floor(db: Database, action: Action, ids: list[uuid.UUID], operator_id: uuid.UUID) -> float:
    raw = db.engine.raw_connection()
    driver = raw.driver_connection
    started = time.perf_counter()
    with driver.cursor() as cursor:
        for start in range(0, len(ids), RAW_CHUNK):
            cursor.execute(RAW[action], (ids[start : start + RAW_CHUNK],))
            driver.commit()
    seconds = time.perf_counter() - started
    with driver.cursor() as cursor:
        cursor.execute(RESET, (operator_id,))
    driver.commit()
    raw.close()
    return len(ids) / seconds


def prepare_cases(db: Database, ctx: CaseContext, operator_id: uuid.UUID, count: int) -> list[str]:
    """Cases with identity attested, ready to submit, on lines the campaign never selects."""
    agent = Actor(ActorType.agent, "bench-agent", operator_id, role=StaffRole.agent)
    with db.read_session() as session:
        ids = list(
            session.scalars(
                sa.select(Line.id)
                .where(
                    Line.operator_id == operator_id,
                    Line.status == "active",
                    Line.port_pending.is_(False),
                    ~sa.exists().where(Case.line_id == Line.id),
                )
                .limit(count)
            )
        )
    prepared = []
    for line_id in ids:
        with db.session() as session:
            opened = cases.open_case(
                session, ctx, actor=agent, line_id=line_id, case_type=RequestType.suspend,
                channel=Channel.agent, now=now(),
            )  # fmt: skip
            if not opened.created:
                continue
            cases.attest_identity(
                session, ctx, actor=agent, case_id=opened.case.id, method=Method.id_document,
                now=now(),
            )  # fmt: skip
            prepared.append(str(opened.case.id))
    return prepared


def process(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent
        )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Submitter(threading.Thread):
    """`POST /v1/cases/{id}/submit` at a fixed rate, one case each, timing every answer."""

    def __init__(self, base: str, key: str, case_ids: list[str], rate: float) -> None:
        super().__init__(daemon=True)
        self.base, self.key, self.case_ids, self.rate = base, key, case_ids, rate
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as client:
            next_at = time.perf_counter()
            while not self.stop.is_set() and self.case_ids:
                case_id = self.case_ids.pop()
                started = time.perf_counter()
                response = client.post(f"/v1/cases/{case_id}/submit", json={})
                self.latencies.append((time.perf_counter() - started) * 1000)
                self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
                next_at += 1 / self.rate
                self.stop.wait(max(0.0, next_at - time.perf_counter()))


def run_campaign(
    db: Database,
    url: str,
    action: Action,
    operator_id: uuid.UUID,
    selection: Selection,
    *,
    workers: int,
    server: tuple[str, str],
    case_ids: list[str],
    rate: float,
    directory: Path,
) -> dict[str, object]:
    agent = Actor(ActorType.agent, "bench-agent", operator_id, role=StaffRole.agent)
    supervisor = Actor(ActorType.agent, "bench-supervisor", operator_id, role=StaffRole.supervisor)
    with db.session() as session:
        campaign = campaigns.create(
            session, actor=agent, name=f"bench {action}", action=action, selection=selection,
            params={}, start_at=None, now=now(),
        )  # fmt: skip
        campaign_id = campaign.id
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": url,
        "SIMEXIT_SECRET_KEY": SECRET,
        "SIMEXIT_LOG_LEVEL": "WARNING",
        "SIMEXIT_WORKER_POLL_SECONDS": "0.2",
    }
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    procs = [
        process(
            [str(SIMEXIT), "worker", "--worker-id", f"w{n}"], env, directory / f"{action}-w{n}.log"
        )
        for n in range(workers)
    ]
    time.sleep(2)  # the workers start (imports, warm-up) before the clock does
    submitter = Submitter(*server, case_ids, rate)
    started = time.perf_counter()
    with db.session() as session:
        campaigns.approve(session, actor=supervisor, campaign_id=campaign_id, now=now())
    submitter.start()
    try:
        while True:
            time.sleep(1)
            with db.read_session() as session:
                found = campaigns.get(session, agent, campaign_id)
                progress = campaigns.progress_of(session, found, now=now())
                status = found.status
            print(
                f"  {action}: {progress.finished:,}/{progress.total:,} "
                f"({progress.rate_per_second or 0:,.0f}/s)",
                file=sys.stderr,
            )
            if status == "done":
                break
        wall = time.perf_counter() - started
        rss = [peak_rss_mb(p.pid) for p in procs]
    finally:
        submitter.stop.set()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
    submitter.join(timeout=30)
    with db.engine.connect() as conn:
        jobs = {
            name: f"{count} x {ms:.0f} ms"
            for name, count, ms in conn.execute(
                sa.text(
                    "SELECT name, count(*), avg(extract(epoch FROM finished_at - locked_at)) * 1000 "
                    "FROM jobs WHERE finished_at IS NOT NULL GROUP BY name ORDER BY 2 DESC"
                )
            )
        }
    latencies = sorted(submitter.latencies)
    return {
        "lines": progress.total,
        "jobs": jobs,
        "counts": progress.counts,
        "wall_seconds": wall,
        "lines_per_second": progress.total / wall,
        "worker_peak_rss_mb": rss,
        "submits": len(latencies),
        "submit_statuses": submitter.statuses,
        "submit_p50_ms": statistics.median(latencies) if latencies else None,
        "submit_p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else None,
    }


def start_server(url: str, directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": url,
        "SIMEXIT_SECRET_KEY": SECRET,
        "SIMEXIT_LOG_LEVEL": "WARNING",
    }
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    proc = process(
        [str(SIMEXIT), "serve", "--no-worker", "--port", str(port)], env, directory / "server.log"
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server never became ready")


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--terminate-lines", type=int, default=None, help="default: --lines")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--submit-rate", type=float, default=5.0)
    parser.add_argument("--actions", default="suspend,terminate")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    url, admin = new_database(args.postgres)
    directory = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    server = None
    try:
        db = Database(url)
        migrate.upgrade(db.engine)
        packs = load_registry()
        ctx = CaseContext(packs=packs, secret_key=SECRET.encode())
        with db.session() as session:
            seeded = seed_demo(session, packs=packs, now=now(), password_hash="x")  # noqa: S106 - nobody signs in
            bench_operator = create_operator(session, packs=packs, code="bench-no").id
            telenor = session.scalars(
                sa.select(Operator.id).where(Operator.code == "telenor-no")
            ).one()
        base_file = directory / "base.csv"
        write_file(base_file, args.lines)
        imported = import_lines(db, base_file, "bench-no")
        side_file = directory / "side.csv"
        write_file(side_file, 3000)
        import_lines(db, side_file, "telenor-no")
        print(f"imported {args.lines:,} lines in {imported:.1f} s ({args.lines / imported:,.0f}/s)")
        ids = line_ids(db, bench_operator)
        server_proc, base = start_server(url, directory)
        server = server_proc
        results = {}
        for name in args.actions.split(","):
            action = Action(name)
            count = args.lines if action is Action.suspend else (args.terminate_lines or args.lines)
            chosen = ids[:count]
            raw = raw_floor(db, action, chosen, bench_operator)
            case_ids = prepare_cases(db, ctx, telenor, 1500)
            selection = (
                Selection() if count == len(ids) else Selection(msisdns=tuple(_msisdns(db, chosen)))
            )
            figures = run_campaign(
                db, url, action, bench_operator, selection, workers=args.workers,
                server=(base, seeded.api_keys["telenor-no"]), case_ids=case_ids,
                rate=args.submit_rate, directory=directory,
            )  # fmt: skip
            figures["raw_lines_per_second"] = raw
            figures["ratio_to_raw"] = figures["lines_per_second"] / raw  # type: ignore[operator]
            results[name] = figures
            with db.engine.begin() as conn:  # back to active for the next campaign (not timed)
                conn.execute(sa.text(RESET.replace("%s", ":op")), {"op": bench_operator})
        report(args, results)
        db.dispose()
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        with admin.connect() as conn:
            name = sa.make_url(url).database
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _msisdns(db: Database, ids: list[uuid.UUID]) -> list[str]:
    with db.read_session() as session:
        return list(session.scalars(sa.select(Line.msisdn).where(Line.id.in_(ids))))


def report(args: argparse.Namespace, results: dict[str, dict[str, object]]) -> None:
    print(f"\nsimexit campaign benchmark: PostgreSQL, {args.workers} `simexit worker` processes, "
          f"submits at {args.submit_rate}/s to `simexit serve --no-worker`")  # fmt: skip
    for name, f in results.items():
        print(
            f"{name:9} {f['lines']:>9,} lines  {f['wall_seconds']:7.1f} s  "
            f"{f['lines_per_second']:8,.0f} lines/s  raw {f['raw_lines_per_second']:9,.0f}/s  "
            f"ratio {f['ratio_to_raw']:.3f}  worker peak RSS {', '.join(f'{r:.0f}' for r in f['worker_peak_rss_mb'])} MB  "  # type: ignore[union-attr]
            f"submit p50 {f['submit_p50_ms'] or 0:.1f} ms p99 {f['submit_p99_ms'] or 0:.1f} ms "
            f"({f['submits']} submits {f['submit_statuses']})  outcomes {f['counts']}"
        )
    print(
        f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
