"""API v1: one router per domain, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from simexit.api.v1 import cases, esim, lines, operators, port_outs

router = APIRouter()
for module in (operators, lines, cases, esim, port_outs):
    router.include_router(module.router)
