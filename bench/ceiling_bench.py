"""How near the bare endpoint can a submission get, and how much of the way simexit's code takes.

    uv run python bench/ceiling_bench.py [--cases 1500] [--threads 16] [--seconds 5]

In one run, on copies of one prepared SQLite file (demo data, N cases opened and identity-checked
through a real `simexit serve`):
  * bare: GET /healthz of `simexit serve --no-worker` (middleware, routing, no database);
  * floor: `bench/floor_server.py`, the same server app with one extra route that takes a
    submission's body, replays in one transaction the exact statements simexit sent for one
    submission (recorded in-process on another copy beforehand) and answers that submission's
    JSON: HTTP and the database, and no domain code;
  * simexit: POST /v1/cases/{id}/submit on `simexit serve --no-worker`.
It prints requests/s (closed loop, httpx threads) and server CPU per request for each, both as
ratios to bare, and what the issue's aim (submission at 40% of bare) leaves for the domain code
per submission next to what it uses. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import api_bench
import write_path_bench

AIM = 0.40
WARM_UP = 100  # submissions before the clock starts, on both servers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simexit-ceiling-") as tmp:
        root = Path(tmp)
        prepared, key, case_ids, _ = write_path_bench.prepare(root / "server", args.cases)
        recorded_copy, floor_copy = root / "recorded.db", root / "floor.db"
        shutil.copy(prepared, recorded_copy)
        shutil.copy(prepared, floor_copy)
        _, transactions, bodies = write_path_bench.run_service(
            recorded_copy, key, case_ids, "submit"
        )
        recording = root / "recording.pickle"
        recording.write_bytes(pickle.dumps((transactions, bodies)))
        headers = {"Authorization": f"Bearer {key}"}
        floor_process, floor_base, _ = api_bench.start_process(
            [
                sys.executable,
                str(Path(__file__).parent / "floor_server.py"),
                "--recording",
                str(recording),
            ],
            root,
            floor_copy,
            root / "floor.log",
        )
        real_process, real_base, _ = api_bench.start_process(
            [str(api_bench.SIMEXIT), "serve", "--no-worker"], root, prepared, root / "real.log"
        )
        try:
            bare_call: list[Callable[[httpx.Client], int]] = [
                lambda c: c.get("/healthz").status_code
            ]

            def bare(name: str) -> api_bench.Result:
                return api_bench.measured(
                    real_process.pid,
                    lambda: api_bench.closed_loop(
                        name, args.threads, bare_call, args.seconds, real_base, headers
                    ),
                )

            api_bench.closed_loop("warm-up", args.threads, bare_call, 1.0, real_base, headers)
            api_bench.closed_loop("warm-up", args.threads, bare_call, 1.0, floor_base, headers)
            # The first submissions of a fresh process pay for first-time work (statement
            # compilation, policy packs, imports); the floor replays the same ones.
            warm_up, measured_ids = case_ids[:WARM_UP], case_ids[WARM_UP:]
            with (
                httpx.Client(base_url=real_base, headers=headers, timeout=30) as real,
                httpx.Client(base_url=floor_base, headers=headers, timeout=30) as floor_client,
            ):
                for case_id in warm_up:
                    real.post(f"/v1/cases/{case_id}/submit", json={"consent": "yes"})
                    floor_client.post("/bench/floor", json={"consent": "yes"})
            bare_before = bare("bare GET /healthz (before)")
            floor_calls: list[Callable[[httpx.Client], int]] = [
                lambda c: c.post("/bench/floor", json={"consent": "yes"}).status_code
                for _ in measured_ids
            ]
            floor = api_bench.measured(
                floor_process.pid,
                lambda: api_bench.closed_loop(
                    "floor: HTTP + the db work",
                    args.threads,
                    floor_calls,
                    None,
                    floor_base,
                    headers,
                ),
            )

            def submitter(case_id: str) -> Callable[[httpx.Client], int]:
                def call(client: httpx.Client) -> int:
                    answer = client.post(f"/v1/cases/{case_id}/submit", json={"consent": "yes"})
                    return answer.status_code

                return call

            submit_calls = [submitter(case_id) for case_id in measured_ids]
            submitted = api_bench.measured(
                real_process.pid,
                lambda: api_bench.closed_loop(
                    "simexit submission", args.threads, submit_calls, None, real_base, headers
                ),
            )
            bare_after = bare("bare GET /healthz (after)")
        finally:
            for process in (floor_process, real_process):
                process.send_signal(signal.SIGTERM)
                process.wait(60)
    print(
        f"simexit submission ceiling: SQLite, {len(case_ids) - WARM_UP} submissions, "
        f"{args.threads} client threads (httpx), one server process each"
    )
    api_bench.print_against_bare(bare_before, bare_after, [floor, submitted])
    bare_cpu = (
        ((bare_before.server_cpu or 0) + (bare_after.server_cpu or 0))
        / (bare_before.requests + bare_after.requests)
        * 1000
    )
    domain = submitted.cpu_ms_per_request - floor.cpu_ms_per_request
    budget = bare_cpu / AIM - floor.cpu_ms_per_request
    print(
        "floor: the same server app replaying each submission's recorded statements and answering"
    )
    print("its recorded body; what separates it from the submission is simexit's domain code.")
    print(
        f"domain code per submission (simexit CPU - floor CPU): {domain:.2f} ms; at {AIM:.0%} of "
        f"bare's CPU per request it could use {budget:.2f} ms ({budget / domain:.0%} of today's)."
    )


if __name__ == "__main__":
    main()
