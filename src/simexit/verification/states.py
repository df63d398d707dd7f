"""The states of one identity check. Pure."""

from __future__ import annotations

from enum import StrEnum


class VerificationStatus(StrEnum):
    pending = "pending"  # a code was sent and may still be answered
    passed = "passed"
    failed = "failed"  # an attestation or provider answer that did not confirm the person
    locked = "locked"  # too many wrong answers
    expired = "expired"  # not answered in time
    replaced = "replaced"  # a newer challenge was sent for the same case
