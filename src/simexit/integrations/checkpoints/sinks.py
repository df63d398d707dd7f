"""Where signed audit checkpoints are kept outside the database: a directory of append-only
JSON-lines files (one per operator) and/or a webhook the operator runs."""

from __future__ import annotations

import os
from pathlib import Path

from simexit.audit.ports import CheckpointExportError
from simexit.audit.signing import SignedCheckpoint
from simexit.integrations.webhooks.client import HttpWebhookSender
from simexit.notifications.ports import DeliveryError


class DirectorySink:
    """`<directory>/<operator id>.jsonl`, one checkpoint a line, only ever appended to.

    Put the directory on storage the database's owner cannot rewrite (another host's mount,
    `chattr +a`, a WORM bucket synced from it): it is what outlives a rewritten database."""

    name = "directory"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, operator_id: str) -> Path:
        return self.directory / f"{operator_id}.jsonl"

    def location(self, operator_id: str) -> str:
        return str(self.path(operator_id))

    def append(self, signed: SignedCheckpoint) -> None:
        line = signed.to_json_line() + "\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # O_APPEND: every write lands at the end, whoever else has the file open.
            descriptor = os.open(
                self.path(signed.checkpoint.operator_id),
                os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                0o640,
            )
            try:
                os.write(descriptor, line.encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            raise CheckpointExportError(
                f"cannot append to {self.path(signed.checkpoint.operator_id)}: {error.strerror}"
            ) from None

    def read(self, operator_id: str) -> list[str] | None:
        try:
            text = self.path(operator_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return [line for line in text.splitlines() if line.strip()]


class WebhookSink:
    """POSTs each checkpoint as JSON; any 2xx answer means the receiver kept it."""

    name = "webhook"

    def __init__(self, url: str, sender: HttpWebhookSender | None = None) -> None:
        self.url = url
        self._sender = sender or HttpWebhookSender()

    def append(self, signed: SignedCheckpoint) -> None:
        try:
            status = self._sender.post(
                self.url,
                body=signed.to_json_line().encode(),
                headers={"Content-Type": "application/json"},
            )
        except DeliveryError as error:
            raise CheckpointExportError(str(error)) from None
        if not 200 <= status < 300:
            raise CheckpointExportError(f"the checkpoint webhook answered {status}")
