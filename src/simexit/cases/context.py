"""What case services need from the outside world, built once at the edge from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from simexit.attachments.ports import FileStore
from simexit.policies.loader import PackRegistry


@dataclass(frozen=True, slots=True)
class CaseContext:
    packs: PackRegistry
    secret_key: bytes
    policy_strict: bool = True
    code_ttl: timedelta = field(default=timedelta(minutes=10))
    code_max_attempts: int = 5
    draft_ttl: timedelta = field(default=timedelta(days=7))
    teardown_max_attempts: int = 5
    # Where subscribers' uploads are kept (sealed); None: this process takes no uploads.
    files: FileStore | None = None
    attachment_max_bytes: int = 5 * 1024 * 1024
