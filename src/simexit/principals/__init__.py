"""Who is acting: a subscriber, an agent, an integrator's key, a reseller, or simexit itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class ActorType(StrEnum):
    subscriber = "subscriber"
    agent = "agent"
    integrator = "integrator"
    reseller = "reseller"
    system = "system"
    cli = "cli"


class StaffRole(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    """The principal behind a call. `operator_id` None means platform-wide (system, cli)."""

    type: ActorType
    id: str
    operator_id: uuid.UUID | None = None
    reseller_id: uuid.UUID | None = None
    subscriber_id: uuid.UUID | None = None
    role: StaffRole | None = None
    # An API key's scopes (`simexit.access.scopes`); empty for every other kind of actor.
    scopes: frozenset[str] = frozenset()
    # Who this is for people reading the record: an API key's name, a staff member's full name.
    name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.type.value}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.type in {ActorType.agent, ActorType.cli, ActorType.system} or (
            self.type is ActorType.integrator and self.reseller_id is None
        )


SYSTEM = Actor(ActorType.system, "simexit")
