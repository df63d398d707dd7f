"""structlog set-up: JSON lines in production, readable console output for people.

Call `configure_logging` once at the edge (CLI, worker, server); everything else uses
`structlog.get_logger()` with dotted events and ids as keyword arguments. Never pass secrets,
one-time codes or message bodies as log fields.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        numeric_level = logging.INFO
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=numeric_level)
    # Alembic narrates every migration-context check (each /readyz) at INFO; keep its warnings.
    logging.getLogger("alembic").setLevel(max(numeric_level, logging.WARNING))
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
