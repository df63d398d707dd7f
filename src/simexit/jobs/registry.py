"""The registry of job handlers, by dotted name, and the back-off policies they retry with.

Handlers are registered at import time by the domain's `tasks.py`:

    @job("cases.execute", max_attempts=8, backoff=exponential(base_seconds=30, cap_seconds=3600))
    def execute(session: Session, *, now: datetime, case_id: str) -> None: ...

    @periodic("cases.scan_due", every=timedelta(minutes=1))
    def scan_due(session: Session, *, now: datetime) -> None: ...

A job whose work is one exchange with the outside world (an e-mail, an SMS, a webhook POST)
registers an `Exchange` with `exchange_job`: the call then runs outside any transaction, so on
SQLite the write lock is not held while a remote server takes its time (see `jobs.runner`).

The worker imports the task modules (`simexit.runtime.TASK_MODULES`) before it runs anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from simexit.jobs.queue import DEFAULT_MAX_ATTEMPTS

# `handler(session: Session, *, now: datetime, **payload) -> None`; the payload's keys are the
# handler's own keyword arguments, which a Protocol with **payload cannot express.
Handler = Callable[..., None]
# `on_dead(session, *, now, error, **payload)`: runs in the transaction that marks the job dead.
DeadHook = Callable[..., None]
HandlerT = TypeVar("HandlerT", bound=Handler)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential back-off with "equal jitter": a delay between half and all of the nominal one.

    The jitter spreads the retries of many jobs that failed together (a gateway outage); keeping
    the delay at or under the nominal value lets tests advance `now` by `nominal(attempt)`.
    """

    base_seconds: float
    cap_seconds: float

    def nominal(self, attempt: int) -> timedelta:
        exponent = min(max(attempt - 1, 0), 32)  # bounded: 2**32 * base is past any cap
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2**exponent))

    def delay(self, attempt: int) -> timedelta:
        nominal = self.nominal(attempt).total_seconds()
        jitter = secrets.SystemRandom().uniform(0.5, 1.0)
        return timedelta(seconds=nominal * jitter)


def exponential(base_seconds: float = 30, cap_seconds: float = 3600) -> Backoff:
    return Backoff(base_seconds=base_seconds, cap_seconds=cap_seconds)


DEFAULT_BACKOFF = exponential()


@dataclass(frozen=True, slots=True)
class Exchange:
    """A job that is one exchange with the outside world, in three steps:

    * `plan(session, *, now, **payload) -> plan | None` reads, in a read-only transaction of its
      own, what to send (None: nothing to do, e.g. already sent); it writes nothing;
    * `send(plan) -> result` talks to the remote side with no transaction open and no database
      access, and turns the remote side's refusals into its result instead of raising;
    * `record(session, *, now, plan, result)` writes the outcome in the job's own
      transaction, with its `done` mark, re-checking the rows it changes as any handler does
      (it also runs, with `plan` and `result` None, when `plan` found nothing to do).

    Exactly as with a one-step handler, a worker that dies between the exchange and the commit
    leaves the job to be claimed again, and the exchange repeats: the stable ids the remote side
    de-duplicates on matter just as much."""

    plan: Callable[..., Any]
    send: Callable[[Any], Any]
    record: Handler


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    handler: Handler
    max_attempts: int
    backoff: Backoff
    every: timedelta | None = None  # set for periodic jobs
    on_dead: DeadHook | None = None
    exchange: Exchange | None = None  # set for jobs registered with `exchange_job`
    # A scan that takes `operator_id=` and then looks at that operator only, at its `now`: a test
    # clock's advance runs it for the sandbox operator; the scheduled run skips clocked operators.
    per_operator: bool = False


_REGISTRY: dict[str, JobSpec] = {}


class DuplicateJobNameError(ValueError):
    pass


def _register(spec: JobSpec) -> None:
    existing = _REGISTRY.get(spec.name)
    # Re-importing the same module (tests, reloads) re-registers the same function: allowed.
    if existing is not None and existing.handler is not spec.handler:
        same_place = getattr(existing.handler, "__qualname__", None) == getattr(
            spec.handler, "__qualname__", None
        ) and getattr(existing.handler, "__module__", None) == getattr(
            spec.handler, "__module__", None
        )
        if not same_place:
            raise DuplicateJobNameError(
                f"job {spec.name!r} is already registered by {existing.handler!r}"
            )
    _REGISTRY[spec.name] = spec


def job(
    name: str,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff: Backoff = DEFAULT_BACKOFF,
    on_dead: DeadHook | None = None,
) -> Callable[[HandlerT], HandlerT]:
    """Register `handler` as the code for jobs called `name`."""

    def register(handler: HandlerT) -> HandlerT:
        _register(JobSpec(name, handler, max_attempts, backoff, None, on_dead))
        return handler

    return register


def exchange_job(
    name: str,
    exchange: Exchange,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff: Backoff = DEFAULT_BACKOFF,
    on_dead: DeadHook | None = None,
) -> None:
    """Register `exchange` as the code for jobs called `name` (see `Exchange`)."""
    _register(JobSpec(name, exchange.record, max_attempts, backoff, None, on_dead, exchange))


def periodic(
    name: str,
    *,
    every: timedelta,
    max_attempts: int = 3,
    backoff: Backoff = exponential(base_seconds=10, cap_seconds=60),
    per_operator: bool = False,
) -> Callable[[HandlerT], HandlerT]:
    """Register a recurring job. Its schedule is the queued row for its next time slot.

    Slots are `every`-long windows counted from the Unix epoch; the job for a slot has the dedup
    key `periodic:<name>:<slot start>`, so however many workers start or finish a run, each slot
    runs once. When a run ends (done or dead) the runner queues the next slot in the same
    transaction; `ensure_periodic_jobs` queues one at worker start if none is waiting.
    """
    if every < timedelta(seconds=1):
        raise ValueError("periodic jobs run at most once a second")

    def register(handler: HandlerT) -> HandlerT:
        _register(
            JobSpec(name, handler, max_attempts, backoff, every, None, per_operator=per_operator)
        )
        return handler

    return register


def get(name: str) -> JobSpec | None:
    return _REGISTRY.get(name)


def registered() -> dict[str, JobSpec]:
    return dict(_REGISTRY)


def periodic_specs() -> list[JobSpec]:
    return [spec for spec in _REGISTRY.values() if spec.every is not None]


def per_operator_specs() -> list[JobSpec]:
    """The scans that look at one operator when given `operator_id=` (see `JobSpec`)."""
    return [spec for spec in periodic_specs() if spec.per_operator]
