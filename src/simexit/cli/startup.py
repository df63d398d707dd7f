"""What every long-running process does before it serves: bring the database to head and, when
asked, seed the demo, safely when many processes start at once.

Both happen in one transaction under the database's start-up lock (`migrate.start_up_transaction`):
the first process in migrates and seeds, the others wait and then find nothing left to do. The
emptiness check runs under the lock, so two servers never both seed (they used to race into
`uq_operators_code`).
"""

from __future__ import annotations

from simexit import migrate
from simexit.clock import utc_now
from simexit.config import Environment
from simexit.errors import ConfigurationError
from simexit.runtime import Runtime
from simexit.seed.demo import DEMO_PASSWORD, SeedResult, is_seeded, seed_demo


class DemoRefused(ConfigurationError):
    """The demo's accounts have a published password and keys for every scope."""

    def __init__(self) -> None:
        super().__init__(
            "demo data is never seeded in production (SIMEXIT_ENV=production): its staff share "
            "a published password and its API keys have every scope"
        )


def prepare_database(runtime: Runtime, *, seed: bool) -> SeedResult | None:
    """Migrate to head; with `seed`, add the demo if the database has no operator yet.
    Returns what was seeded, or None (not asked, or already there)."""
    if seed and runtime.settings.env is Environment.production:
        raise DemoRefused
    with migrate.start_up_transaction(runtime.db.engine) as connection:
        migrate.upgrade_on(connection)
        if not seed:
            return None
        # The session joins the start-up transaction: the seed commits with the migration.
        with runtime.db.session_on(connection) as session:
            if is_seeded(session):
                return None
            result = seed_demo(
                session,
                packs=runtime.packs,
                now=utc_now(),
                password_hash=runtime.passwords.hash(DEMO_PASSWORD),
            )
            session.flush()
            return result
