"""The durable job queue: `enqueue` in the caller's transaction, a runner that claims and retries."""

from simexit.jobs.queue import enqueue

__all__ = ["enqueue"]
