"""Public pages, no login: the guides per country and operator, and the help page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from simexit.guides import build_guide
from simexit.models import Operator
from simexit.web.i18n import N_
from simexit.web.rendering import WebState
from simexit.web.routes.common import not_found
from simexit.web.texts import EVIDENCE, SECTION, guide_rule_text, label

COUNTRIES = {"NO": N_("Norway"), "US": N_("United States"), "RU": N_("Russia")}


def register(router: APIRouter, state: WebState) -> None:
    @router.get("/", name="guides:home", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return guides_index(request)

    @router.get("/guides", name="guides:index", response_class=HTMLResponse)
    def guides_index(request: Request) -> HTMLResponse:
        t = state.texts(request)
        with state.runtime.db.read_session() as session:
            operators = list(
                session.scalars(select(Operator).order_by(Operator.country, Operator.name))
            )
        countries: dict[str, list[Operator]] = {}
        for operator in operators:
            countries.setdefault(operator.country, []).append(operator)
        groups = [(label(t, COUNTRIES, code), items) for code, items in countries.items()]
        return state.render(request, "guides/index.html", t, {"groups": groups})

    @router.get("/guides/{operator_code}", name="guides:operator", response_class=HTMLResponse)
    def guide(request: Request, operator_code: str) -> HTMLResponse:
        t = state.texts(request)
        with state.runtime.db.read_session() as session:
            operator = session.scalars(
                select(Operator).where(Operator.code == operator_code)
            ).one_or_none()
        if operator is None or operator.policy_pack not in state.runtime.packs:
            return not_found(state, request, t)
        built = build_guide(state.runtime.packs.get(operator.policy_pack).to_public_dict())
        sections = [
            (
                t.gettext(SECTION[section.code]),
                [
                    (
                        rule,
                        guide_rule_text(t, rule),
                        label(t, EVIDENCE, rule.status) if rule.status else "",
                    )
                    for rule in section.rules
                ],
            )
            for section in built.sections
        ]
        return state.render(
            request,
            "guides/operator.html",
            t,
            {
                "operator": operator,
                "guide": built,
                "sections": sections,
                "country": label(t, COUNTRIES, operator.country),
            },
        )

    @router.get("/help", name="guides:help", response_class=HTMLResponse)
    def help_page(request: Request) -> HTMLResponse:
        t = state.texts(request)
        return state.render(request, "guides/help.html", t)
