"""The embedded process: API, portal (when installed) and the job worker in one process.

`simexit serve` takes its port first (a taken one stops it before anything else), migrates
and, when asked, seeds an empty database (`cli.startup`), then runs uvicorn on that socket. The worker loop runs in
a thread started and stopped by the app's lifespan, so uvicorn's graceful shutdown on SIGTERM
(stop accepting, let in-flight requests finish, then run the lifespan exit) stops it too. Each
request is one transaction, so a stop never leaves half a case behind.

With `--workers N` uvicorn starts N processes that each build the app from the environment
through `create_server_app` (the `SIMEXIT_SERVE_WORKER` variable says whether they run a worker
thread; jobs are claimed safely by any number of them).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import structlog
from fastapi import FastAPI

from simexit.api.app import create_app
from simexit.errors import ConfigurationError
from simexit.runtime import Runtime, freeze_startup_heap, runtime_from_env

log = structlog.get_logger()

WORKER_ENV: Final = "SIMEXIT_SERVE_WORKER"
WORKER_JOIN_SECONDS: Final = 30.0
LISTEN_BACKLOG: Final = 2048  # uvicorn's default
STARTUP_FAILURE: Final = 3  # uvicorn's exit status when the app does not start


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
        """Register job handlers, each operator's gateways (from the gateways file) and the
        message transports, as `simexit worker` does."""
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
    web.install_error_pages(app, runtime)  # HTML, not problem+json, for a wrong page address
    return True


def build_server_app(runtime: Runtime, *, with_worker: bool) -> FastAPI:
    app = create_app(runtime)
    mount_portal(app, runtime)
    api_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        runtime.warm_up()
        runtime.prepare_notifications()  # the API queues messages even with no worker thread
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


class CannotListen(ConfigurationError):
    """The address to listen on is taken (or not this machine's)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {reason}")


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen on host:port now, before start-up does anything that takes time, so a
    taken port is one line at once instead of a uvicorn error after "listening on". Connections
    that arrive while the database is prepared wait in the backlog and are answered once the
    app is up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        listener.bind((host, port))
        listener.listen(LISTEN_BACKLOG)
    except OSError as error:
        listener.close()
        raise CannotListen(host, port, error.strerror or str(error)) from None
    listener.set_inheritable(True)  # `--workers N`: the processes share it
    return listener


def serve(
    runtime: Runtime,
    *,
    listener: socket.socket,
    with_worker: bool = True,
    workers: int = 1,
) -> None:
    """Run uvicorn on `listener` (from `bind_listener`) until it is told to stop."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    host, port = listener.getsockname()[:2]
    common = uvicorn_options(host=host, port=port)
    if workers > 1:
        os.environ[WORKER_ENV] = "1" if with_worker else "0"
        config = uvicorn.Config(
            "simexit.server:create_server_app", factory=True, workers=workers, **common
        )
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run: Ctrl-C is a stop
            Multiprocess(config, sockets=[listener]).run()
        return
    server = uvicorn.Server(
        uvicorn.Config(build_server_app(runtime, with_worker=with_worker), **common)
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    if not server.started:  # the app's start-up failed; uvicorn has logged why
        sys.exit(STARTUP_FAILURE)
