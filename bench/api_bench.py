"""API throughput and latency against a real `simexit serve` process (SQLite, seeded, no worker).

    uv run python bench/api_bench.py [--threads 16] [--seconds 5] [--cases 1500]

Prints, in one run: requests/s, p50 and p99 for a bare endpoint (/healthz, touches nothing), for
opening cases and for submitting cases, each as a ratio to the bare endpoint (measured before and
after the case phases, the ratio taken against both together); then p99 at half of
each measured maximum rate (open loop); then the same half rate of submissions to a second
server run as `simexit serve` runs by default, with its worker thread, whose e-mails go to a
real SMTP server that takes `SMTP_SECONDS` to accept each. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

SIMEXIT = Path(sys.executable).parent / "simexit"
OPEN_LOOP_SECONDS = 6.0
SMTP_SECONDS = 0.1  # how long the embedded phase's SMTP server takes to accept a message


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    server_cpu: float | None = None  # seconds of CPU the server process used in this phase

    @property
    def cpu_ms_per_request(self) -> float:
        return (
            self.server_cpu / self.requests * 1000
            if self.server_cpu and self.requests
            else float("nan")
        )

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return (
            ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
            if ordered
            else float("nan")
        )


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, phase: Callable[[], Result]) -> Result:
    """Run a phase and attach the CPU the server spent on it: requests/s depend on the client as
    well (a Python load generator saturates before the bare endpoint does), CPU per request
    does not."""
    before = process_cpu_seconds(pid)
    result = phase()
    after = process_cpu_seconds(pid)
    if before is not None and after is not None:
        result.server_cpu = after - before
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    directory: Path, *, worker: bool = False, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, str, Path]:
    """`simexit serve` (`--no-worker` unless `worker`) on a new SQLite file in `directory`, which
    it seeds; the process, its base URL, the demo Telenor API key it printed and the database."""
    database = directory / "bench.db"
    command = [str(SIMEXIT), "serve", *([] if worker else ["--no-worker"])]
    process, base, log = start_process(
        command, directory, database, directory / "server.log", env=env
    )
    key = re.search(r"API key telenor-no: (sx_\S+)", log.read_text())
    if key is None:
        raise SystemExit(f"server did not print a key:\n{log.read_text()[:2000]}")
    return process, base, key.group(1), database


def start_process(
    command: list[str],
    directory: Path,
    database: Path,
    log: Path,
    *,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """A server command (given `--port` here) on the SQLite file `database`, once its /readyz
    answers 200; the process, its base URL and its log file."""
    port = free_port()
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": f"sqlite:///{database}",
        "SIMEXIT_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=directory,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(command)} exited:\n{log.read_text()[:2000]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base, log
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command} never became ready:\n{log.read_text()[:2000]}")


def clone_lines(database: Path, count: int) -> list[str]:
    """Fresh active lines (copies of one clean Telenor line), each with a subscriber of its own as
    in real life, so every open creates a case and no subscriber holds thousands of lines."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA busy_timeout=30000")
        template = conn.execute(
            "SELECT lines.* FROM lines JOIN operators ON operators.id = lines.operator_id WHERE operators.code='telenor-no' "
            "AND lines.status='active' AND lines.plan='postpaid' AND lines.kind='physical_sim' AND lines.unpaid_bills_minor=0 "
            "AND lines.port_pending=0 LIMIT 1"
        )
        columns = [d[0] for d in template.description]
        row = dict(zip(columns, template.fetchone(), strict=True))
        owner = conn.execute("SELECT * FROM subscribers WHERE id = ?", (row["subscriber_id"],))
        owner_columns = [d[0] for d in owner.description]
        owner_row = dict(zip(owner_columns, owner.fetchone(), strict=True))
        ids = []
        for n in range(count):
            subscriber = {
                **owner_row,
                "id": uuid.uuid4().hex,
                "email": f"bench{n}@example.org",
                "phone_e164": f"+479{n:07d}",
            }
            clone = {
                **row,
                "id": uuid.uuid4().hex,
                "subscriber_id": subscriber["id"],
                "msisdn": f"+479{n:07d}",
                "iccid": None,
            }
            for table, values in (("subscribers", subscriber), ("lines", clone)):
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",  # noqa: S608 - names from the tables themselves
                    list(values.values()),
                )
            ids.append(str(uuid.UUID(clone["id"])))
    return ids


def closed_loop(
    name: str,
    threads: int,
    work: list[Callable[[httpx.Client], int]],
    seconds: float | None,
    base: str,
    headers: dict[str, str],
) -> Result:
    """Each thread takes the next request as soon as its last one answered."""
    lock = threading.Lock()
    items = iter(work) if seconds is None else None
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + (seconds or 0)

    def run() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while True:
                if items is not None:
                    with lock:
                        call = next(items, None)
                    if call is None:
                        return
                else:
                    if time.perf_counter() >= stop_at:
                        return
                    call = work[0]
                began = time.perf_counter()
                status = call(client)
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    errors += status >= 400

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(run) for _ in range(threads)]:
            future.result()
    return Result(name, len(latencies), time.perf_counter() - began, latencies, errors)


Request = tuple[str, str, dict[str, str] | None]  # method, path, JSON body


def open_loop(
    name: str, rate: float, requests: list[Request], base: str, headers: dict[str, str]
) -> Result:
    """Requests start on a fixed schedule (rate/s) whatever the server does: latency under load.

    One asyncio loop with one pooled client: a thread per request (or a client per thread) would
    spend more CPU than the server on this 2-core machine and measure itself instead.
    """

    async def run() -> Result:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(
            base_url=base, headers=headers, timeout=30, limits=limits
        ) as client:
            await client.get("/healthz")  # open a connection before the clock starts

            async def fire(request: Request, at: float) -> None:
                nonlocal errors
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                method, path, body = request
                began = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - began)
                errors += response.status_code >= 400

            start = time.perf_counter() + 0.1
            await asyncio.gather(
                *(fire(request, start + i / rate) for i, request in enumerate(requests))
            )
            return Result(name, len(latencies), time.perf_counter() - start, latencies, errors)

    return asyncio.run(run())


class SlowSmtp:
    """A real SMTP server (aiosmtpd, in this process) that takes `SMTP_SECONDS` to accept each
    message, as a relay across the internet does."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.accepted = 0
        bench = self

        class Handler:
            # aiosmtpd's hook name and arguments; the message itself is not needed
            async def handle_DATA(self, *_: object) -> str:  # noqa: N802
                await asyncio.sleep(SMTP_SECONDS)
                bench.accepted += 1
                return "250 Message accepted for delivery"

        self.port = free_port()  # aiosmtpd cannot bind port 0 itself
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SlowSmtp:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()


def embedded_with_mail(rate: float) -> tuple[Result, int]:
    """Submissions at `rate` to `simexit serve` as it runs by default, worker thread included,
    delivering each submission's e-mail to a real SMTP server that takes `SMTP_SECONDS` per
    message; the result and how many messages the SMTP server accepted meanwhile."""
    with tempfile.TemporaryDirectory(prefix="simexit-bench-embedded-") as tmp, SlowSmtp() as smtp:
        process, base, key, database = start_server(
            Path(tmp),
            worker=True,
            env={"SIMEXIT_SMTP_HOST": "127.0.0.1", "SIMEXIT_SMTP_PORT": str(smtp.port)},
        )
        headers = {"Authorization": f"Bearer {key}"}
        try:
            case_ids = []
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for line_id in clone_lines(database, int(rate * OPEN_LOOP_SECONDS)):
                    opened = client.post(
                        "/v1/cases", json={"line_id": line_id, "type": "terminate"}
                    )
                    case_ids.append(opened.json()["id"])
                    client.post(
                        f"/v1/cases/{case_ids[-1]}/identity", json={"method": "id_document"}
                    )
            before = smtp.accepted
            result = open_loop(
                "submit at half rate, worker on",
                rate,
                [("POST", f"/v1/cases/{c}/submit", {"consent": "yes"}) for c in case_ids],
                base,
                headers,
            )
            return result, smtp.accepted - before
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


def print_against_bare(before: Result, after: Result, results: list[Result]) -> None:
    """The table of `results` against the bare endpoint measured before and after them: the
    ratios take both bare phases together (the machine is shared; a baseline taken once can
    drift from the phases it is compared with)."""
    bare = Result(
        "bare, both together",
        before.requests + after.requests,
        before.seconds + after.seconds,
        before.latencies + after.latencies,
        before.errors + after.errors,
        (before.server_cpu or 0) + (after.server_cpu or 0) or None,
    )
    print(
        f"{'scenario':30} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'vs bare':>8} {'server CPU ms/req':>18} {'bare/this':>9}"
    )
    for result in (before, after, bare, *results):
        print(
            f"{result.name:30} {result.rate:7.0f} {result.pct(0.5):7.1f} {result.pct(0.99):7.1f} {result.errors:6d} "
            f"{result.rate / bare.rate:8.0%} {result.cpu_ms_per_request:18.2f} "
            f"{bare.cpu_ms_per_request / result.cpu_ms_per_request:9.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--cases", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simexit-bench-") as tmp:
        process, base, key, database = start_server(Path(tmp))
        headers = {"Authorization": f"Bearer {key}"}
        try:
            line_ids = clone_lines(database, args.cases * 3)
            bare_call: list[Callable[[httpx.Client], int]] = [
                lambda c: c.get("/healthz").status_code
            ]
            closed_loop("warm-up", args.threads, bare_call, 1.0, base, headers)
            bare = measured(
                process.pid,
                lambda: closed_loop(
                    "bare GET /healthz (before)",
                    args.threads,
                    bare_call,
                    args.seconds,
                    base,
                    headers,
                ),
            )

            case_ids: list[str] = []
            ids_lock = threading.Lock()

            def opener(line_id: str) -> Callable[[httpx.Client], int]:
                def call(client: httpx.Client) -> int:
                    response = client.post(
                        "/v1/cases", json={"line_id": line_id, "type": "terminate"}
                    )
                    if response.status_code == 201:
                        with ids_lock:
                            case_ids.append(response.json()["id"])
                    return response.status_code

                return call

            opened = measured(
                process.pid,
                lambda: closed_loop(
                    "POST /v1/cases (open)",
                    args.threads,
                    [opener(i) for i in line_ids[: args.cases]],
                    None,
                    base,
                    headers,
                ),
            )
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for case_id in case_ids:
                    client.post(f"/v1/cases/{case_id}/identity", json={"method": "id_document"})

            def submitter(case_id: str) -> Callable[[httpx.Client], int]:
                return lambda client: (
                    client.post(f"/v1/cases/{case_id}/submit", json={"consent": "yes"}).status_code
                )

            half = case_ids[: len(case_ids) // 2]
            rest = case_ids[len(case_ids) // 2 :]
            submitted = measured(
                process.pid,
                lambda: closed_loop(
                    "POST /v1/cases/{id}/submit",
                    args.threads,
                    [submitter(c) for c in half],
                    None,
                    base,
                    headers,
                ),
            )

            seconds = OPEN_LOOP_SECONDS
            fresh_lines = line_ids[args.cases : args.cases + int(opened.rate / 2 * seconds)]
            open_half = open_loop(
                "open at half rate",
                opened.rate / 2,
                [("POST", "/v1/cases", {"line_id": i, "type": "terminate"}) for i in fresh_lines],
                base,
                headers,
            )
            submit_half = open_loop(
                "submit at half rate",
                submitted.rate / 2,
                [
                    ("POST", f"/v1/cases/{c}/submit", {"consent": "yes"})
                    for c in rest[: int(submitted.rate / 2 * seconds)]
                ],
                base,
                headers,
            )
            # The bare endpoint again: the machine is shared, and a baseline taken once can
            # drift from the phases it is compared with. Ratios use the mean of both.
            bare_after = measured(
                process.pid,
                lambda: closed_loop(
                    "bare GET /healthz (after)",
                    args.threads,
                    bare_call,
                    args.seconds,
                    base,
                    headers,
                ),
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        embedded, mailed = embedded_with_mail(submitted.rate / 2)
        bare_before = bare

    print(
        f"simexit API benchmark: SQLite, one `simexit serve --no-worker` process, {args.threads} client threads (httpx)"
    )
    print_against_bare(bare_before, bare_after, [opened, submitted])
    print(
        "vs bare: throughput ratio against both bare phases together (the machine is shared; a baseline"
    )
    print(
        "taken once can drift from the phases it is compared with). The aim is 40% for submission."
    )
    print("bare/this: the bare endpoint's server CPU per request over this one's, which does not")
    print("depend on how fast the load generator is.")
    print(
        "open loop at half of each maximum rate (one asyncio client; the bare endpoint's half rate"
    )
    print("is beyond what a Python client can pace on this machine, so it is not measured):")
    for result in (open_half, submit_half, embedded):
        print(
            f"{result.name:30} {result.rate:7.0f} {result.pct(0.5):7.1f} {result.pct(0.99):7.1f} {result.errors:6d}"
        )
    print(
        f"worker on: `simexit serve` as it runs by default, its worker thread meanwhile handing "
        f"{mailed} e-mails"
    )
    print(
        f"to a real SMTP server that takes {SMTP_SECONDS * 1000:.0f} ms to accept each (the SMS go to the sink)."
    )


if __name__ == "__main__":
    main()
