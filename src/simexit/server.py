"""The embedded process: API, portal (when installed) and the job worker in one process.

`simexit serve` migrates and seeds an empty database, then runs uvicorn. The worker loop runs in
a thread started and stopped by the app's lifespan, so uvicorn's graceful shutdown on SIGTERM
(stop accepting, let in-flight requests finish, then run the lifespan exit) stops it too. Each
request is one transaction, so a stop never leaves half a case behind.

With `--workers N` uvicorn starts N processes that each build the app from the environment
through `create_server_app` (the `SIMEXIT_SERVE_WORKER` variable says whether they run a worker
thread; jobs are claimed safely by any number of them).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import structlog
from fastapi import FastAPI

from simexit.api.app import create_app
from simexit.runtime import Runtime, freeze_startup_heap, runtime_from_env

log = structlog.get_logger()

WORKER_ENV: Final = "SIMEXIT_SERVE_WORKER"
WORKER_JOIN_SECONDS: Final = 30.0


class WorkerThread:
    """The job worker loop in a daemon thread; `stop()` lets the running job finish."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> bool:
        try:
            worker_main = importlib.import_module("simexit.worker.main")
        except ImportError as error:
            log.warning("server.worker_unavailable", error=str(error))
            return False
        settings = self.runtime.settings
        self._prepare()
        worker_id = f"{worker_main.default_worker_id()}:serve"

        def loop() -> None:
            try:
                worker_main.run_worker(
                    self.runtime.db,
                    stop=self.stop_event,
                    poll_seconds=settings.worker_poll_seconds,
                    batch_size=settings.worker_batch_size,
                    worker_id=worker_id,
                    lease_seconds=settings.job_lease_seconds,
                )
            except Exception as error:  # the API keeps serving; the log says why jobs stopped
                log.error("server.worker_crashed", error_type=type(error).__name__, exc_info=error)

        self.thread = threading.Thread(target=loop, name="simexit-worker", daemon=True)
        self.thread.start()
        log.info("server.worker_started", worker_id=worker_id)
        return True

    def _prepare(self) -> None:
        """Register job handlers, the (simulated) operator systems and message transports, as
        `simexit worker` does."""
        self.runtime.prepare_jobs()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(WORKER_JOIN_SECONDS)
            log.info("server.worker_stopped", alive=self.thread.is_alive())


def mount_portal(app: FastAPI, runtime: Runtime) -> bool:
    """Include the portal's routes if `simexit.web` is installed (it is optional)."""
    try:
        web = importlib.import_module("simexit.web.app")
    except ModuleNotFoundError as error:
        if error.name not in {"simexit.web", "simexit.web.app"}:
            raise
        log.info("server.portal_unavailable")
        return False
    app.include_router(web.create_web_router(runtime))
    web.mount_static(app)
    return True


def build_server_app(runtime: Runtime, *, with_worker: bool) -> FastAPI:
    app = create_app(runtime)
    mount_portal(app, runtime)
    api_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        runtime.warm_up()
        worker = WorkerThread(runtime)
        if with_worker:
            worker.start()
        try:
            async with api_lifespan(application) as state:
                freeze_startup_heap()
                yield state
        finally:
            worker.stop()
            runtime.db.dispose()

    app.router.lifespan_context = lifespan
    return app


def create_server_app() -> FastAPI:
    """uvicorn factory for `--workers N`: each process builds its own runtime from the env."""
    from simexit.logging import configure_logging

    runtime = runtime_from_env()
    configure_logging(runtime.settings.log_level, runtime.settings.log_json)
    return build_server_app(runtime, with_worker=os.environ.get(WORKER_ENV, "1") == "1")


def uvicorn_options(*, host: str, port: int) -> dict[str, Any]:
    """How `simexit serve` runs uvicorn (the benchmarks run their own apps the same way)."""
    return {
        "host": host,
        "port": port,
        "access_log": False,  # the app logs each request itself, with its request id
        "log_config": None,  # keep simexit's structured logging
        "timeout_graceful_shutdown": 30,
        "proxy_headers": False,
    }


def serve(
    runtime: Runtime, *, host: str, port: int, with_worker: bool = True, workers: int = 1
) -> None:
    import uvicorn

    common = uvicorn_options(host=host, port=port)
    if workers > 1:
        os.environ[WORKER_ENV] = "1" if with_worker else "0"
        uvicorn.run("simexit.server:create_server_app", factory=True, workers=workers, **common)
        return
    uvicorn.run(build_server_app(runtime, with_worker=with_worker), **common)
