"""`simexit worker`: run jobs until SIGTERM/SIGINT (graceful: the running job finishes).

It migrates the database first, under the start-up lock, like `simexit serve` (it never seeds the
demo: the keys belong in the server's output), so workers may start before, with or without the
servers on an empty database. Like the server, it refuses a bad gateways file before the database
and checks the gateways against the database after migrating (production: no simulated gateway
for an operator not marked sandbox)."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from simexit.cli.startup import prepare_database
from simexit.logging import configure_logging
from simexit.runtime import freeze_startup_heap, import_task_modules, runtime_from_env
from simexit.worker.main import default_worker_id, run_worker, stop_on_signals

app = typer.Typer(help="Run background jobs.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def worker(
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=1000, help="Jobs claimed at once.")
    ] = None,
    poll_seconds: Annotated[float | None, typer.Option(min=0.01, help="Sleep when idle.")] = None,
    lease_seconds: Annotated[
        int | None, typer.Option(min=1, help="Reclaim after a worker dies.")
    ] = None,
    worker_id: Annotated[str | None, typer.Option(help="Defaults to host:pid.")] = None,
    task_module: Annotated[
        list[str] | None, typer.Option(help="Extra module registering handlers (repeatable).")
    ] = None,
) -> None:
    runtime = runtime_from_env()
    settings = runtime.settings
    configure_logging(settings.log_level, settings.log_json)
    runtime.gateway_plan  # a bad gateways file stops here, before the database  # noqa: B018
    prepare_database(runtime, seed=False)
    runtime.check_gateways()
    runtime.prepare_jobs()
    import_task_modules(task_module or [])
    freeze_startup_heap()
    db = runtime.db
    stop = threading.Event()
    stop_on_signals(stop)
    try:
        run_worker(
            db,
            stop=stop,
            poll_seconds=poll_seconds or settings.worker_poll_seconds,
            batch_size=batch_size or settings.worker_batch_size,
            worker_id=worker_id or default_worker_id(),
            lease_seconds=lease_seconds or settings.job_lease_seconds,
        )
    finally:
        db.dispose()
