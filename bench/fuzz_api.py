"""The long schemathesis run over every /v1 operation with the seeded demo's real ids.

    uv run python bench/fuzz_api.py [--examples 200] [--seed N] [--database-url URL]
                                    [--operator att-us]

The same run as `tests/api/test_fuzz.py::test_schemathesis_with_seeded_ids` (examples, coverage,
fuzzing and stateful phases; conformance, `not_a_server_error`, `positive_data_acceptance`),
with more examples per operation and a fresh seed unless one is given (the seed is printed, so
a failure can be replayed here or with SIMEXIT_FUZZ_SEED in the test). A SQLite file in a
temporary directory by default; given a PostgreSQL server URL, it makes a database of its own
on that server and drops it afterwards. Prints requests, server errors and valid requests
rejected; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from simexit.logging import configure_logging

sys.path.insert(0, str(Path(__file__).parent.parent))
from tests.api import seeded_fuzz

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SECRET = "bench-secret-key-0123456789abcdef0123"  # noqa: S105 - a throwaway database


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url is None or not url.startswith("postgresql"):
        with tempfile.TemporaryDirectory(prefix="simexit-fuzz-") as directory:
            yield url or f"sqlite:///{Path(directory) / 'fuzz.db'}"
        return
    server = make_url(url)
    name = f"simexit_fuzz_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: fresh)")
    parser.add_argument("--database-url", default=None, help="SQLite or a PostgreSQL server")
    parser.add_argument("--operator", default=seeded_fuzz.OPERATOR, help="whose key, e.g. att-us")
    args = parser.parse_args()
    seed_value = args.seed if args.seed is not None else random.getrandbits(64)
    configure_logging("WARNING")  # thousands of requests: only what goes wrong
    with database(args.database_url) as url:
        runtime, app = seeded_fuzz.build(url, SECRET, NOW)
        try:
            key, ids = seeded_fuzz.seed(runtime, app, NOW, operator=args.operator)
            schema = seeded_fuzz.load_schema(app)
            seeded_fuzz.configure(
                schema, key=key, max_examples=args.examples, seed_value=seed_value
            )
            started = time.perf_counter()
            figures = seeded_fuzz.fuzz(schema, ids)
            elapsed = time.perf_counter() - started
        finally:
            runtime.db.dispose()
    backend = make_url(url).get_backend_name()
    print(
        f"{backend}, {args.operator}, seed {seed_value}, {args.examples} examples, {elapsed:.0f} s"
    )
    print(figures.summary())
    for failure in figures.failures[:30]:
        print(failure)
    for error in figures.errors[:10]:
        print(error)
    return 0 if figures.clean else 1


if __name__ == "__main__":
    sys.exit(main())
