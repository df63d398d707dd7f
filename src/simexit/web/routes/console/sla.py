"""The SLA clock in words: "2 d 4 h left", "5 h 10 min overdue"."""

from __future__ import annotations

from simexit.cases.sla import SlaClock
from simexit.web.i18n import N_, Texts


def clock_text(t: Texts, clock: SlaClock) -> str:
    days, hours, minutes = clock.parts
    if days:
        span = t(N_("{days} d {hours} h"), days=days, hours=hours)
    else:
        span = t(N_("{hours} h {minutes} min"), hours=hours, minutes=minutes)
    return t(N_("{time} overdue"), time=span) if clock.overdue else t(N_("{time} left"), time=span)
