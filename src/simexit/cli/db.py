from __future__ import annotations

import typer

from simexit import migrate
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: head), under the start-up lock."""
    runtime = runtime_from_env()
    migrate.upgrade(runtime.db.engine, revision)
    typer.echo(f"database at {migrate.current_revision(runtime.db.engine)}")


@app.command()
def current() -> None:
    """Print the database's migration revision and whether it is at head."""
    runtime = runtime_from_env()
    rev = migrate.current_revision(runtime.db.engine)
    typer.echo(
        f"{rev} ({'head' if migrate.is_at_head(runtime.db.engine) else 'behind head ' + str(migrate.head_revision())})"
    )
