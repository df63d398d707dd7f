"""Public pages, no login: the guides per country and operator, and the help page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.guides import build_guide
from simexit.models import Operator
from simexit.transactions import run_read
from simexit.web.deps import PageDep
from simexit.web.guide_texts import SECTION, guide_rule_text, source_text
from simexit.web.i18n import N_
from simexit.web.security import SecureRoute
from simexit.web.texts import EVIDENCE, label

COUNTRIES = {"NO": N_("Norway"), "US": N_("United States"), "RU": N_("Russia")}


router = APIRouter(route_class=SecureRoute, include_in_schema=False)


@router.get("/", name="guides:home", response_class=HTMLResponse)
async def home(page: PageDep) -> HTMLResponse:
    return await guides_index(page)


@router.get("/guides", name="guides:index", response_class=HTMLResponse)
async def guides_index(page: PageDep) -> HTMLResponse:
    def read(session: Session) -> list[Operator]:
        return list(session.scalars(select(Operator).order_by(Operator.country, Operator.name)))

    operators = await run_read(page.db, read)
    t = page.t
    countries: dict[str, list[Operator]] = {}
    for operator in operators:
        countries.setdefault(operator.country, []).append(operator)
    groups = [(label(t, COUNTRIES, code), items) for code, items in countries.items()]
    return page.render("guides/index.html", {"groups": groups})


@router.get("/guides/{operator_code}", name="guides:operator", response_class=HTMLResponse)
async def guide(page: PageDep, operator_code: str) -> HTMLResponse:
    def read(session: Session) -> Operator | None:
        return session.scalars(select(Operator).where(Operator.code == operator_code)).one_or_none()

    operator = await run_read(page.db, read)
    t, packs = page.t, page.state.runtime.packs
    if operator is None or operator.policy_pack not in packs:
        return page.not_found()
    built = build_guide(packs.get(operator.policy_pack).to_public_dict())
    sections = [
        (
            t.gettext(SECTION[section.code]),
            [
                (
                    rule,
                    sentences,
                    label(t, EVIDENCE, rule.status) if rule.status else "",
                    [
                        (source, source_text(t, source.title, source.retrieved))
                        for source in rule.sources
                    ],
                )
                for rule in section.rules
                if (sentences := guide_rule_text(t, rule))
            ],
        )
        for section in built.sections
    ]
    return page.render(
        "guides/operator.html",
        {
            "operator": operator,
            "guide": built,
            "sections": sections,
            "country": label(t, COUNTRIES, operator.country),
        },
    )


@router.get("/help", name="guides:help", response_class=HTMLResponse)
async def help_page(page: PageDep) -> HTMLResponse:
    return page.render("guides/help.html")
