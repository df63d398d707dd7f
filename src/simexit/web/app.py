"""Assembly: `create_web_router(runtime)` for the main app, `create_web_app(runtime)` standalone."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from simexit.runtime import Runtime
from simexit.web.rendering import WebState
from simexit.web.routes import console, guides, portal
from simexit.web.security import SecureRoute

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"


def create_web_router(runtime: Runtime) -> APIRouter:
    """Every page of the portal, guides and console; static files are mounted by `mount_static`."""
    state = WebState(runtime)
    router = APIRouter(route_class=SecureRoute, include_in_schema=False)
    guides.register(router, state)
    portal.register(router, state)
    console.register(router, state)
    return router


def mount_static(app: FastAPI) -> None:
    """Serve the stylesheet and the vendored htmx at /static (name "static")."""
    if not any(getattr(route, "name", None) == "static" for route in app.routes):
        app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")


def create_web_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="simexit portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(create_web_router(runtime))
    mount_static(app)
    return app
