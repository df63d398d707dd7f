"""Growing delays after failed staff sign-ins, per e-mail address and per client address.

Why no lock: a lock after N wrong passwords lets anyone who knows a staff address lock that
person out. Instead, after `free_failures` failures each further attempt must wait
`2**(failures - free_failures + 1)` seconds (2, 4, 8, …, capped): a guesser gets a handful of
tries an hour, the real user waits at most `cap` after the last wrong attempt.

The trade-off: the per-account delay holds for every client address (otherwise a guesser with
many addresses would get `free_failures` free tries per address), so somebody hammering one
account keeps its real user waiting, up to `cap` per attempt, for as long as they keep at it;
they can never lock it for longer than that. The per-address count (higher, since an office's
agents may share one address) stops one client from spreading its guesses over many accounts.

Counting is one conditional upsert per subject (`claim`): it adds the attempt only when the
subject's wait is over and returns the new count, so concurrent attempts on one account, over
any number of servers and on either database, are all counted and no two slip through the same
opening. An attempt is counted as a failure *before* its password is checked (nothing to write
afterwards when it is wrong); a right password takes the failure back (`forget`).

Subjects are keyed HMACs of the submitted e-mail address, known account or not, so a 429 says
nothing about whether an address exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from simexit.models import SignInFailure

FORGET_AFTER = timedelta(days=1)
# `next_attempt_at` of a subject with no wait: long past, not "now". Concurrent attempts read
# the clock a little apart; with "now" stored, one that read it a millisecond earlier than the
# attempt counted before it would find itself waiting while still under the free failures.
NO_WAIT = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """Free failures per account and per client address before the delays start; the cap."""

    free_per_account: int = 5
    free_per_client: int = 20
    cap: timedelta = timedelta(minutes=15)


def delay_after(failures: int, free: int, cap: timedelta) -> timedelta:
    """The wait before the next attempt once `failures` attempts have failed. Pure."""
    if failures < free:
        return timedelta(0)
    exponent = min(failures - free + 1, 32)  # bounded: 2**32 s is past any cap
    return min(cap, timedelta(seconds=2**exponent))


class Throttled(Exception):
    """The attempt was not counted and must not be checked; `retry_after` is whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _claim_one(session: Session, key: str, *, free: int, cap: timedelta, now: datetime) -> None:
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = SignInFailure.__table__
    statement = insert(SignInFailure).values(
        key=key, failures=1, next_attempt_at=NO_WAIT, expires_at=now + FORGET_AFTER
    )
    failures = session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((table.c.expires_at <= now, 1), else_=table.c.failures + 1),
                "expires_at": now + FORGET_AFTER,
            },
            where=table.c.next_attempt_at <= now,
        ).returning(SignInFailure.failures)
    ).scalar_one_or_none()
    if failures is None:  # still waiting: nothing was counted
        waiting_until = session.scalars(
            select(SignInFailure.next_attempt_at).where(SignInFailure.key == key)
        ).one()
        raise Throttled(max(1, math.ceil((waiting_until - now).total_seconds())))
    wait = delay_after(failures, free, cap)
    if wait:  # the row stays locked by the upsert until commit: no other attempt sees it half done
        session.execute(
            update(SignInFailure).where(SignInFailure.key == key).values(next_attempt_at=now + wait)
        )


def claim(
    session: Session, limits: SignInLimits, *, account_key: str, client_key: str, now: datetime
) -> None:
    """Count one attempt against the client address and the account, or raise `Throttled`.

    Raised, the caller's transaction must roll back: a client count made before the account
    turned out to be waiting is undone with it."""
    _claim_one(session, client_key, free=limits.free_per_client, cap=limits.cap, now=now)
    _claim_one(session, account_key, free=limits.free_per_account, cap=limits.cap, now=now)


def forget(session: Session, *, account_key: str, client_key: str) -> None:
    """A right password: the account starts from zero, and its attempt no longer counts against
    the client address."""
    session.execute(delete(SignInFailure).where(SignInFailure.key == account_key))
    session.execute(
        update(SignInFailure)
        .where(SignInFailure.key == client_key, SignInFailure.failures > 0)
        .values(failures=SignInFailure.failures - 1)
    )


def failures(session: Session, key: str) -> int:
    """How many failures count now for `key` (0 when none)."""
    found = session.scalars(select(SignInFailure.failures).where(SignInFailure.key == key)).first()
    return int(found or 0)


def purge_expired(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(SignInFailure).where(SignInFailure.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
