"""Wiring at the edge: settings -> database, packs and the context services take.

API, portal, CLI and worker build one `Runtime` per process; nothing below them reads settings.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import structlog
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from simexit.audit import signing
from simexit.audit.ports import CheckpointSink
from simexit.cases.context import CaseContext
from simexit.clock import utc_now
from simexit.config import Environment, Settings, get_settings
from simexit.db import Database
from simexit.errors import ConfigurationError
from simexit.integrations.checkpoints.sinks import DirectorySink, WebhookSink
from simexit.integrations.files.directory import DirectoryStore
from simexit.notifications.ports import AttachmentSource, ChannelRegistry, Transports
from simexit.operators.gateways import GatewayPlan, load_gateway_plan
from simexit.operators.repository import operator_codes
from simexit.policies import business_days
from simexit.policies.loader import PackRegistry, load_registry
from simexit.tmf import events as tmf_events  # registers the TM Forum hub listeners

# Every module that registers handlers with @job / @periodic. Add a domain's tasks module here.
log = structlog.get_logger()

TASK_MODULES: tuple[str, ...] = (
    "simexit.notifications.tasks",
    "simexit.cases.tasks",
    "simexit.jobs.tasks",
    "simexit.audit.tasks",
    "simexit.signin.tasks",
    "simexit.privacy.tasks",
    "simexit.imports.tasks",
    "simexit.provisioning.tasks",
    "simexit.refunds.tasks",
    "simexit.campaigns.tasks",
    "simexit.attachments.tasks",
)


def import_task_modules(modules: Iterable[str] = TASK_MODULES) -> None:
    for module in modules:
        importlib.import_module(module)


# The receipt the e-mails confirming a request carry is drawn by the portal's code, which is
# optional (`server.mount_portal`) and builds on this module: it is found by name, as the portal is.
RECEIPT_ATTACHMENTS = "simexit.web.receipt_mail"


def attachment_sources() -> Mapping[str, AttachmentSource]:
    """Message kind -> the file its e-mails carry; none when the portal is not installed."""
    try:
        module = importlib.import_module(RECEIPT_ATTACHMENTS)
    except ModuleNotFoundError as error:
        if error.name not in {"simexit.web", RECEIPT_ATTACHMENTS}:
            raise
        log.info("notifications.attachments_unavailable", module=RECEIPT_ATTACHMENTS)
        return {}
    sources: Mapping[str, AttachmentSource] = module.attachment_sources()
    return sources


if TYPE_CHECKING:
    from simexit.integrations.registry import GatewayDirectory


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url, pool_size=self.settings.database_pool_size)

    @cached_property
    def packs(self) -> PackRegistry:
        return load_registry(self.settings.policy_dirs)

    @cached_property
    def cases(self) -> CaseContext:
        return CaseContext(
            packs=self.packs,
            secret_key=self.settings.secret_key.get_secret_value().encode(),
            policy_strict=self.settings.policy_strict,
            files=DirectoryStore(self.settings.attachment_directory),
            attachment_max_bytes=self.settings.attachment_max_bytes,
        )

    @cached_property
    def gateway_plan(self) -> GatewayPlan:
        """Which adapter each operator's gateways use (`SIMEXIT_GATEWAYS_FILE`), checked; a bad
        file is one `ConfigurationError` line. Secrets are read from the environment now."""
        from simexit.integrations.registry import REGISTRY

        return load_gateway_plan(
            self.settings.gateways_file, catalog=REGISTRY.catalog(), environ=os.environ
        )

    @cached_property
    def gateways(self) -> GatewayDirectory:
        from simexit.integrations.registry import GatewayDirectory

        return GatewayDirectory(self.gateway_plan)

    def check_gateways(self) -> GatewayPlan:
        """The plan against the database, before a process serves or runs jobs: every operator
        the file names exists, and production gives no operator a simulated adapter unless it
        is marked sandbox. Needs the database at head."""
        plan = self.gateway_plan
        with self.db.read_session() as session:
            codes = operator_codes(session)
        plan.check_operators(codes)
        if self.settings.env is Environment.production:
            from simexit.integrations.transports import sink_channel_names

            plan.check_production(codes)
            names, sinks = sink_channel_names(self.settings)
            plan.check_no_sinks(codes, channels=names, sinks=sinks)
        return plan

    @cached_property
    def passwords(self) -> PasswordHasher:
        return PasswordHasher()

    @cached_property
    def audit_signing_key(self) -> Ed25519PrivateKey:
        """The key that signs audit checkpoints, from its file. Without a configured file
        (never in production: settings refuse that) one is generated once, next to the SQLite
        file, and said so: whoever can read that file can sign checkpoints."""
        path = self.settings.audit_signing_key_path
        generate = self.settings.audit_signing_key_file is None and not path.exists()
        if generate and signing.create_private_key_file(path):
            log.warning(
                "audit.signing_key.generated",
                path=str(path),
                advice="set SIMEXIT_AUDIT_SIGNING_KEY_FILE to a key kept away from the database",
            )
        return signing.load_private_key(path)

    @cached_property
    def audit_public_key(self) -> Ed25519PublicKey:
        if self.settings.audit_public_key_file is not None:
            return signing.load_public_key(self.settings.audit_public_key_file)
        return self.audit_signing_key.public_key()

    @cached_property
    def audit_checkpoint_archive(self) -> DirectorySink | None:
        directory = self.settings.audit_checkpoint_directory
        return DirectorySink(directory) if directory is not None else None

    def audit_checkpoint_sinks(self) -> tuple[CheckpointSink, ...]:
        sinks: list[CheckpointSink] = []
        if self.audit_checkpoint_archive is not None:
            sinks.append(self.audit_checkpoint_archive)
        if self.settings.audit_checkpoint_webhook_url:
            sinks.append(WebhookSink(self.settings.audit_checkpoint_webhook_url))
        return tuple(sinks)

    def warm_up(self) -> None:
        """Do now what the first requests would otherwise pay for: load the policy packs and
        build their business-day calendars for this year and the next."""
        year = utc_now().year
        for calendar in self.packs.calendars():
            business_days.prepare(calendar, (year, year + 1))

    def prepare_notifications(self) -> None:
        """The notification channels and transports from settings, for this process: a request
        that queues a message needs the channels as much as the worker that sends it."""
        from simexit.integrations.transports import build_transports
        from simexit.notifications.tasks import use_transports

        transports = build_transports(self.settings)
        # TM Forum events name their resources by absolute href when the public base is known.
        tmf_events.use_public_base(self.settings.base_url)
        plan = self.gateway_plan
        by_operator = {
            code: chosen
            for code, section in plan.operators.items()
            if (chosen := self._channels(transports, code, section.channels)) is not None
        }
        default = self._channels(transports, "default", plan.default.channels)
        secret = self.settings.secret_key.get_secret_value().encode()
        use_transports(
            replace(
                transports,
                by_operator=by_operator,
                default_channels=default,
                code_secret=secret,
                attachments=attachment_sources(),
            )
        )

    def _channels(
        self, transports: Transports, section: str, names: tuple[str, ...] | None
    ) -> ChannelRegistry | None:
        """A section's `channels` of the gateways file, checked against this process's channels:
        a name no adapter is registered for stops start-up with one line."""
        if names is None:
            return None
        try:
            return transports.channels.only(names)
        except ValueError as error:
            raise ConfigurationError(
                f"{self.settings.gateways_file}: {section}, channels: {error}"
            ) from None

    def prepare_jobs_once(self) -> None:
        """`prepare_jobs`, unless this process already did (a test clock's advance runs jobs in
        the API process, which may have no worker thread)."""
        if not self.__dict__.get("_jobs_prepared"):
            self.prepare_jobs()

    def prepare_jobs(self) -> None:
        """Give the job handlers what they need in this process: the case context, the operator
        systems of each operator (from the gateways file; simulated without one) and the message
        transports from settings."""
        from simexit.attachments import tasks as attachment_tasks
        from simexit.audit import tasks as audit_tasks
        from simexit.campaigns import tasks as campaign_tasks
        from simexit.cases import tasks as case_tasks
        from simexit.imports import tasks as import_tasks
        from simexit.jobs import tasks as job_tasks
        from simexit.refunds import tasks as refund_tasks

        import_task_modules()
        case_tasks.install(self.cases, self.gateways)
        if self.cases.files is not None:
            attachment_tasks.install(self.cases.files)
        import_tasks.install(self.packs, self.cases.secret_key)
        campaign_tasks.install(self.cases)
        refund_tasks.install(self.cases, lambda code: self.gateways.for_operator(code).payments)
        self.prepare_notifications()
        job_tasks.install(keep_done=timedelta(days=self.settings.done_jobs_keep_days))
        audit_tasks.install(self.audit_signing_key, self.audit_checkpoint_sinks())
        self.warm_up()
        self.__dict__["_jobs_prepared"] = True


def freeze_startup_heap() -> None:
    """Keep what start-up built (packs, app, mappers, templates: a couple of hundred thousand
    objects that live as long as the process) out of the garbage collector's full passes.

    A full pass walks every tracked object; over that heap it took 130-150 ms on the 2-core
    machine the benchmarks run on, and it stops every request in flight, once every few hundred
    submissions: the whole p99. Frozen objects are never walked again (`gc.freeze`), so a full
    pass only looks at what was allocated since. Call it once, after start-up work."""
    gc.collect()
    gc.freeze()


def runtime_from_env() -> Runtime:
    return Runtime(get_settings())
