"""`simexit serve`: the API, portal and worker in one process (the embedded mode).

Start-up order, each step before the next: settings (a bad value is one line), the port (a taken
one is one line), the gateways file (one line), the database (migrated and, when
`SIMEXIT_SEED_DEMO` says so, seeded, under the start-up lock), the policy packs, the gateways
against the database (unknown operator codes; production refuses simulated gateways for operators
not marked sandbox); only then "listening on" and the server.
"""

from __future__ import annotations

from typing import Annotated

import typer

from simexit.cli.seed import print_seed
from simexit.cli.startup import prepare_database
from simexit.logging import configure_logging
from simexit.runtime import runtime_from_env
from simexit.server import bind_listener
from simexit.server import serve as run_server

app = typer.Typer(help="Run the HTTP server.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no job worker (scaled mode).")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    runtime = runtime_from_env()
    settings = runtime.settings
    configure_logging(settings.log_level, settings.log_json)
    host = host or settings.host
    port = port or settings.port
    listener = bind_listener(host, port)
    try:
        runtime.gateway_plan  # a bad gateways file stops here, before the database  # noqa: B018
        seeded = prepare_database(runtime, seed=settings.should_seed_demo)
        if seeded is not None:
            print_seed(seeded)
        runtime.packs  # a broken pack stops here, with its file and rule  # noqa: B018
        runtime.check_gateways()
        base = settings.base_url or f"http://{host}:{port}"
        typer.echo(f"simexit listening on {base}  (API docs: {base}/docs)", err=False)
        run_server(runtime, listener=listener, with_worker=not no_worker, workers=workers)
    finally:
        listener.close()
