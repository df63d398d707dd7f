"""The durable job queue: `enqueue` in the caller's transaction, a runner that claims and retries.

Writing: `enqueue(session, "cases.execute", now=now, dedup_key=f"cases.execute:{case.id}",
case_id=str(case.id))` adds a row in the same transaction as the state change that needs it, so a
rolled-back change leaves no job and a committed one never loses its job.

Handling: register a sync handler with `@job(name, max_attempts=..., backoff=exponential(...))`
(or `@periodic(name, every=...)` for scans) in the domain's `tasks.py`; the worker imports the
task modules listed in `simexit.runtime.TASK_MODULES`.

Handlers are idempotent by construction. A job can run more than once: its worker may die after
an external effect and before the commit, or an operator may retry a dead job. So every handler
follows the same pattern:

1. Load the row it acts on `FOR UPDATE` (or through a unique key) and re-check its state. If the
   work is already done (case no longer `approved`, notification already `sent`), log
   `<job>.skipped` and return: that is success, not an error.
2. Make database effects in the job's own transaction. They commit together with the job's
   `done` mark, or not at all; a unique key (a dedup key, a step id) makes a second insert fail
   loudly instead of duplicating.
3. Make external effects last, and make them safe to repeat: pass a stable id the other side
   de-duplicates on (the webhook-id header, an SMTP Message-ID, an operator order id), then record
   the outcome in the same transaction. A job that is one exchange with a remote server (an
   e-mail, an SMS, a webhook) registers an `Exchange` with `exchange_job` instead: it reads what
   to send, makes the call with no transaction open (on SQLite, no write lock held while the
   other side takes its time), then records the outcome in its transaction.
4. To fail while keeping a record of the attempt (a delivery log row), raise `AttemptFailed`; any
   other exception rolls the transaction back and retries with the job's back-off.
"""

from simexit.jobs.queue import enqueue, enqueue_once
from simexit.jobs.registry import Backoff, Exchange, exchange_job, exponential, job, periodic
from simexit.jobs.runner import AttemptFailed, run_pending

__all__ = [
    "AttemptFailed",
    "Backoff",
    "Exchange",
    "enqueue",
    "enqueue_once",
    "exchange_job",
    "exponential",
    "job",
    "periodic",
    "run_pending",
]
