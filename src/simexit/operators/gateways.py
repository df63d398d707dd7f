"""Which adapter each operator's gateways use: the gateways file (`SIMEXIT_GATEWAYS_FILE`).

The file (TOML, or JSON with the same shape) has a `default` section and one section per
operator code under `operators`; each names, per port, the adapter and its options, and says
whether the operator is a sandbox:

    [default]
    sandbox = true                       # operators without a section of their own

    [operators.telenor-no]
    sandbox = false
    network = { adapter = "osmo-hlr", host = "10.0.0.5" }

A port an operator's section leaves out is the default section's; a port neither names is
simulated. Secrets are never in the file: an adapter's secret option `password` is given as
`password_env`, the NAME of an environment variable that holds it, read at start.

Everything is checked when the file is loaded, and every problem becomes one line naming the
file, the operator, the port and the rule (`GatewayConfigError`). Two rules need more than the
file and are checked at start by the edge: the operator codes must exist in the database
(`GatewayPlan.check_operators`), and production refuses simulated adapters for any operator not
marked `sandbox = true` (`GatewayPlan.check_production`).

This module only reads and checks; what adapters exist and how they are built is the registry in
`simexit.integrations.registry`, handed in as a `Catalog`. Nothing here reads settings: the edge
passes the path and the environment.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from simexit.errors import ConfigurationError


class Port(StrEnum):
    """The systems outside simexit an operator's cases go through (notification channels are
    chosen by the notifications domain)."""

    network = "network"  # HSS/HLR
    esim = "esim"  # SM-DP+ (ES2+)
    oss = "oss"  # service orders (TMF641)
    billing = "billing"
    payments = "payments"  # refund payouts
    identity = "identity"  # eID checks (OIDC)


DEFAULT_SECTION: Final = "default"
SIMULATED: Final = "simulated"
SETTING: Final = "SIMEXIT_GATEWAYS_FILE"
MAX_PROBLEMS_SHOWN: Final = 5
_ENV_SUFFIX: Final = "_env"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# -- what the registry tells the loader about its adapters


class AdapterOptions(BaseModel):
    """Base of every adapter's options. Strict: `port = "4259"` is refused, not converted.
    A `SecretStr` field is a secret: the file gives it as `<field>_env`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NoOptions(AdapterOptions):
    """An adapter that takes no options."""


class AdapterSpec(Protocol):
    """What loading needs to know of a registered adapter."""

    @property
    def options(self) -> type[AdapterOptions]: ...

    @property
    def simulated(self) -> bool: ...


Catalog = Mapping[Port, Mapping[str, AdapterSpec]]


# -- the result: one plan per operator


@dataclass(frozen=True, slots=True)
class AdapterChoice:
    port: Port
    adapter: str
    options: AdapterOptions
    simulated: bool


@dataclass(frozen=True, slots=True)
class OperatorGatewayPlan:
    operator: str  # the operator's code, or "default"
    sandbox: bool
    ports: Mapping[Port, AdapterChoice]
    # Notification channel names; the edge checks them against the registered channels.
    channels: tuple[str, ...] | None = None

    def simulated_ports(self) -> tuple[Port, ...]:
        return tuple(port for port in Port if self.ports[port].simulated)


@dataclass(frozen=True, slots=True)
class Problem:
    operator: str | None
    rule: str
    ports: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = []
        if self.operator == DEFAULT_SECTION:
            where.append("default")
        elif self.operator is not None:
            where.append(f"operator {self.operator}")
        if self.ports:
            where.append(("port " if len(self.ports) == 1 else "ports ") + ", ".join(self.ports))
        return f"{', '.join(where)}: {self.rule}" if where else self.rule


class GatewayConfigError(ConfigurationError):
    """One line: what was refused, then each problem (operator, port, rule), `; `-separated."""

    def __init__(self, summary: str, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN])
        more = len(self.problems) - MAX_PROBLEMS_SHOWN
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(f"{summary}: {shown}")


def invalid_file(source: Path, problems: Sequence[Problem]) -> GatewayConfigError:
    return GatewayConfigError(f"invalid gateways file {source}", problems)


@dataclass(frozen=True)
class GatewayPlan:
    source: Path | None
    default: OperatorGatewayPlan
    operators: Mapping[str, OperatorGatewayPlan] = field(default_factory=dict)

    def for_operator(self, code: str) -> OperatorGatewayPlan:
        """The operator's own section, or the default one."""
        found = self.operators.get(code)
        return found if found is not None else replace(self.default, operator=code)

    def check_operators(self, known_codes: Collection[str]) -> None:
        """Every operator the file names exists (a misspelt code would silently leave the real
        operator on the default)."""
        unknown = sorted(set(self.operators) - set(known_codes))
        if not unknown or self.source is None:
            return
        known = ", ".join(sorted(known_codes)[:10]) or "none yet"
        raise invalid_file(
            self.source,
            [
                Problem(code, f"no operator has this code in the database (known: {known})")
                for code in unknown
            ],
        )

    def check_no_sinks(
        self, known_codes: Iterable[str], *, channels: Sequence[str], sinks: Collection[str]
    ) -> None:
        """No operator that is not a sandbox has a channel that goes to the local sink in
        production: its subscribers' messages (sign-in codes among them) would reach only the
        console, where staff could read them. `channels` are the process's channel names in
        order, `sinks` those of them without a transport."""
        plans = [self.default, *(self.for_operator(code) for code in sorted(known_codes))]
        problems = []
        for plan in plans:
            chosen = plan.channels if plan.channels is not None else tuple(channels)
            stuck = [name for name in chosen if name in sinks]
            if stuck and not plan.sandbox:
                problems.append(
                    Problem(plan.operator, f"channels {', '.join(stuck)} have no transport")
                )
        if problems:
            raise GatewayConfigError(
                "production (SIMEXIT_ENV=production) refuses the local message sink for operators "
                "not marked sandbox = true: configure the transport (SMTP, Kannel) or leave the "
                "channel out of the operator's channels",
                problems,
            )

    def check_production(self, known_codes: Iterable[str]) -> None:
        """No operator in the database, nor the default (which every operator added later
        gets), uses a simulated adapter unless it is marked `sandbox = true`."""
        plans = [self.default]
        if self.source is not None:  # without a file every operator gets the default
            plans += [self.for_operator(code) for code in sorted(known_codes)]
        problems = [
            Problem(
                plan.operator, "simulated, and not marked sandbox = true", plan.simulated_ports()
            )
            for plan in plans
            if plan.simulated_ports() and not plan.sandbox
        ]
        if not problems:
            return
        if self.source is None:
            summary = (
                f"no gateways file ({SETTING} is not set), so every operator gets the simulated "
                "adapters, which production (SIMEXIT_ENV=production) refuses"
            )
        else:
            summary = (
                f"gateways file {self.source} refused in production (SIMEXIT_ENV=production): "
                "simulated adapters are only for operators marked sandbox = true"
            )
        raise GatewayConfigError(summary, problems)


# -- the file's shape


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _PortSection(_Section):
    """`adapter` and the adapter's options, side by side (checked against the adapter later)."""

    model_config = ConfigDict(extra="allow")
    adapter: str = Field(min_length=1)


class _OperatorSection(_Section):
    sandbox: bool | None = None
    channels: list[str] | None = None  # checked against the registered channels at start
    network: _PortSection | None = None
    esim: _PortSection | None = None
    oss: _PortSection | None = None
    billing: _PortSection | None = None
    payments: _PortSection | None = None
    identity: _PortSection | None = None


class _GatewaysFile(_Section):
    default: _OperatorSection = Field(default_factory=_OperatorSection)
    operators: dict[str, _OperatorSection] = Field(default_factory=dict)


_SECTION_KEYS: Final = ("sandbox", "channels", *(port.value for port in Port))


# -- loading


def default_plan(source: Path | None = None) -> GatewayPlan:
    """No file: every operator gets the simulated adapters and is not a sandbox."""
    ports = {p: AdapterChoice(p, SIMULATED, NoOptions(), simulated=True) for p in Port}
    return GatewayPlan(source, OperatorGatewayPlan(DEFAULT_SECTION, sandbox=False, ports=ports))


def load_gateway_plan(
    path: Path | None, *, catalog: Catalog, environ: Mapping[str, str]
) -> GatewayPlan:
    """Read and check the gateways file; `GatewayConfigError` (one line) on any problem."""
    if path is None:
        _require_simulated(catalog)
        return default_plan()
    try:
        parsed = _GatewaysFile.model_validate(_read(path))
    except ValidationError as error:
        raise invalid_file(path, [_shape_problem(e) for e in error.errors()]) from None
    problems: list[Problem] = []
    base = default_plan().default
    default = _resolve(DEFAULT_SECTION, parsed.default, base, catalog, environ, problems)
    operators = {
        code: _resolve(code, section, default, catalog, environ, problems)
        for code, section in parsed.operators.items()
    }
    if problems:
        raise invalid_file(path, problems)
    return GatewayPlan(path, default, operators)


def _require_simulated(catalog: Catalog) -> None:
    missing = [port.value for port in Port if SIMULATED not in catalog.get(port, {})]
    if missing:  # a broken registry, not a user's mistake; still one line
        raise GatewayConfigError(
            "the gateway registry", [Problem(None, "no simulated adapter", ports=tuple(missing))]
        )


def _read(path: Path) -> Any:
    problem: str
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise invalid_file(path, [Problem(None, f"cannot be read: {error}")]) from None
    if path.suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            problem = f"not valid TOML: {error}"
    elif path.suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            problem = f"not valid JSON: {error}"
    else:
        problem = "must be a .toml or .json file"
    raise invalid_file(path, [Problem(None, problem)])


def _shape_problem(error: Any) -> Problem:
    """A pydantic error on the file's shape, told as the operator, the port and the rule."""
    loc = [str(part) for part in error["loc"]]
    kind, message = error["type"], str(error["msg"])
    if not loc:
        return Problem(None, "the file must hold a table of sections (default, operators)")
    if loc[0] == "operators" and len(loc) >= 2:
        operator, inside = loc[1], loc[2:]
    elif loc[0] == DEFAULT_SECTION:
        operator, inside = DEFAULT_SECTION, loc[1:]
    elif kind == "extra_forbidden":
        return Problem(None, f"unknown section {loc[0]!r} (expected default and operators)")
    else:
        return Problem(None, f"{loc[0]}: {message}")
    if not inside:
        return Problem(operator, f"must be a table of ports, not {_kind(error['input'])}")
    key, rest = inside[0], inside[1:]
    if kind == "extra_forbidden" and not rest:
        return Problem(
            operator,
            f"unknown key {key!r} (expected sandbox, channels or a port: "
            f"{', '.join(p.value for p in Port)})",
        )
    if key in Port.__members__:
        if not rest:
            return Problem(
                operator, f'must be a table such as {{ adapter = "{SIMULATED}" }}', (key,)
            )
        if rest == ["adapter"] and kind == "missing":
            return Problem(operator, f'adapter: missing (such as adapter = "{SIMULATED}")', (key,))
        return Problem(operator, f"{'.'.join(rest)}: {message}", (key,))
    path = ".".join(inside)
    return Problem(operator, f"{path}: {message}")


def _kind(value: object) -> str:
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _resolve(
    operator: str,
    section: _OperatorSection,
    base: OperatorGatewayPlan,
    catalog: Catalog,
    environ: Mapping[str, str],
    problems: list[Problem],
) -> OperatorGatewayPlan:
    ports = dict(base.ports)
    for port in Port:
        given: _PortSection | None = getattr(section, port.value)
        if given is not None:
            choice = _choose(operator, port, given, catalog, environ, problems)
            if choice is not None:
                ports[port] = choice
    return OperatorGatewayPlan(
        operator=operator,
        sandbox=base.sandbox if section.sandbox is None else section.sandbox,
        ports=ports,
        channels=base.channels if section.channels is None else tuple(section.channels),
    )


def _choose(
    operator: str,
    port: Port,
    given: _PortSection,
    catalog: Catalog,
    environ: Mapping[str, str],
    problems: list[Problem],
) -> AdapterChoice | None:
    adapters = catalog.get(port, {})
    spec = adapters.get(given.adapter)
    if spec is None:
        known = ", ".join(sorted(adapters)) or "none"
        problems.append(
            Problem(operator, f"unknown adapter {given.adapter!r} (known: {known})", (port,))
        )
        return None
    before = len(problems)

    def refuse(rule: str) -> None:
        problems.append(Problem(operator, f"adapter {given.adapter!r}, {rule}", (port,)))

    values = _with_secrets(given.model_extra or {}, spec.options, environ, refuse)
    if len(problems) > before:
        return None
    try:
        options = spec.options.model_validate(values)
    except ValidationError as error:
        secrets = _secret_fields(spec.options)
        for e in error.errors():
            name = ".".join(str(part) for part in e["loc"])
            if e["type"] == "extra_forbidden":
                refuse(f"option {name}: not an option of this adapter")
            elif e["type"] == "missing" and name in secrets:
                refuse(f"option {name}_env: missing (the NAME of an environment variable)")
            elif e["type"] == "missing":
                refuse(f"option {name}: missing")
            else:
                refuse(f"option {name}: {e['msg']}")
        return None
    return AdapterChoice(port, given.adapter, options, simulated=spec.simulated)


def _secret_fields(model: type[AdapterOptions]) -> frozenset[str]:
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
    )


def _with_secrets(
    raw: Mapping[str, Any],
    model: type[AdapterOptions],
    environ: Mapping[str, str],
    refuse: Callable[[str], None],
) -> dict[str, Any]:
    """The options with each secret read from the environment variable the file names."""
    secrets = _secret_fields(model)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        stem = key.removesuffix(_ENV_SUFFIX)
        if key in secrets:
            refuse(
                f"option {key}: a secret is never written in the file; give {key}{_ENV_SUFFIX} = "
                "the NAME of an environment variable that holds it"
            )
        elif key.endswith(_ENV_SUFFIX) and stem in secrets:
            if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
                refuse(
                    f"option {key}: must be the name of an environment variable, such as "
                    f"{stem.upper()}_SECRET"
                )
            elif not environ.get(value):
                refuse(f"option {key}: environment variable {value} is not set")
            else:
                values[stem] = SecretStr(environ[value])
        else:
            values[key] = value
    return values


__all__ = [
    "DEFAULT_SECTION",
    "SIMULATED",
    "AdapterChoice",
    "AdapterOptions",
    "AdapterSpec",
    "Catalog",
    "GatewayConfigError",
    "GatewayPlan",
    "NoOptions",
    "OperatorGatewayPlan",
    "Port",
    "Problem",
    "default_plan",
    "invalid_file",
    "load_gateway_plan",
]
