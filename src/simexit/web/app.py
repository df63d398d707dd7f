"""Assembly: `create_web_router(runtime)` for the main app, `create_web_app(runtime)` standalone."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from simexit.runtime import Runtime
from simexit.web.errors import install_error_pages
from simexit.web.rendering import WebState
from simexit.web.routes import assets, console, guides, portal

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"


SCREENS = (assets.router, guides.router, *portal.ROUTERS, *console.ROUTERS)


def create_web_router(runtime: Runtime) -> APIRouter:
    """Every page of the portal, guides and console; static files are mounted by `mount_static`.

    The screens are plain module-level routers; this runtime's `WebState` reaches their handlers
    through `web.deps.web_state`, bound to each request by the dependency set here, which runs
    before any of a route's own."""
    state = WebState(runtime)

    async def bind_state(request: Request) -> None:
        request.state.web = state

    router = APIRouter(include_in_schema=False, dependencies=[Depends(bind_state)])
    for screen in SCREENS:
        router.include_router(screen)
    return router


def mount_static(app: FastAPI) -> None:
    """Serve the stylesheet and the vendored htmx at /static (name "static")."""
    if not any(getattr(route, "name", None) == "static" for route in app.routes):
        app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")


def create_web_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="simexit portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(create_web_router(runtime))
    mount_static(app)
    install_error_pages(app, runtime)
    return app
