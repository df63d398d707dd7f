"""Wiring at the edge: settings -> database, packs and the context services take.

API, portal, CLI and worker build one `Runtime` per process; nothing below them reads settings.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from argon2 import PasswordHasher

from simexit.cases.context import CaseContext
from simexit.clock import utc_now
from simexit.config import Settings, get_settings
from simexit.db import Database
from simexit.policies import business_days
from simexit.policies.loader import PackRegistry, load_registry

# Every module that registers handlers with @job / @periodic. Add a domain's tasks module here.
TASK_MODULES: tuple[str, ...] = (
    "simexit.notifications.tasks",
    "simexit.cases.tasks",
    "simexit.jobs.tasks",
    "simexit.signin.tasks",
)


def import_task_modules(modules: Iterable[str] = TASK_MODULES) -> None:
    for module in modules:
        importlib.import_module(module)


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def packs(self) -> PackRegistry:
        return load_registry(self.settings.policy_dirs)

    @cached_property
    def cases(self) -> CaseContext:
        return CaseContext(
            packs=self.packs,
            secret_key=self.settings.secret_key.get_secret_value().encode(),
            policy_strict=self.settings.policy_strict,
        )

    @cached_property
    def passwords(self) -> PasswordHasher:
        return PasswordHasher()

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

        use_transports(build_transports(self.settings))

    def prepare_jobs(self) -> None:
        """Give the job handlers what they need in this process: the case context, the operator
        systems (simulated in embedded mode) and the message transports from settings."""
        from simexit.cases import tasks as case_tasks
        from simexit.integrations.simulated import simulated_gateways
        from simexit.jobs import tasks as job_tasks

        import_task_modules()
        case_tasks.install(self.cases, simulated_gateways())
        self.prepare_notifications()
        job_tasks.install(keep_done=timedelta(days=self.settings.done_jobs_keep_days))
        self.warm_up()


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
