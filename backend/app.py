"""create_app(settings) -> Litestar: templates, CSRF, errors, static files, the domains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader
from litestar import Litestar, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from sqlalchemy import text

from backend import i18n
from backend.assets import THEME_COLOUR, Assets
from backend.auth.controllers import AccountController, AuthController, refused
from backend.auth.service import AuthError
from backend.db import make_engine
from backend.i18n import _
from backend.plans.controllers import PlanController
from backend.settings import Settings
from backend.web import (
    current_viewer,
    error_handler,
    locale_middleware,
    provide_db,
    security_headers,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Health(msgspec.Struct):
    status: str
    database: str


def make_templates(assets: Assets) -> JinjaTemplateEngine:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        asset=assets.url,
        locale=i18n.current.get,
        direction=lambda: i18n.direction(i18n.current.get()),
        languages=i18n.LANGUAGES,
        format_date=i18n.format_date,
        term_name=i18n.term_name,
        theme_colour=THEME_COLOUR,
        htmx=next(p for p in assets.by_path if p.startswith("js/htmx-")),
    )
    return JinjaTemplateEngine.from_environment(env)


def create_app(settings: Settings) -> Litestar:
    engine = make_engine(settings.database_url)
    assets = Assets()

    @get("/healthz", sync_to_thread=True, summary="Liveness and database check")
    def healthz() -> Health:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return Health(status="ok", database="ok")

    @get("/static/{name:path}", include_in_schema=False, sync_to_thread=False)
    def static(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        asset = assets.by_url.get("/static" + name)
        if asset is None:
            raise NotFoundException()
        headers = {
            "cache-control": "public, max-age=31536000, immutable",
            "vary": "Accept-Encoding",
        }
        if asset.gzipped and "gzip" in request.headers.get("accept-encoding", ""):
            headers["content-encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    @get("/sw.js", include_in_schema=False, sync_to_thread=False)
    def service_worker() -> Response[bytes]:
        return Response(
            assets.service_worker(),
            media_type="text/javascript; charset=utf-8",
            headers={"cache-control": "no-cache", "service-worker-allowed": "/"},
        )

    @get("/manifest.webmanifest", include_in_schema=False, sync_to_thread=False)
    def manifest() -> Response[bytes]:
        body = assets.manifest(
            name=_("IUP – my development plan"),
            short_name="IUP",
            description=_("Your goals, your self-assessments and your development talk."),
            lang=i18n.current.get(),
        )
        return Response(
            body,
            media_type="application/manifest+json",
            headers={"cache-control": "no-cache", "vary": "Accept-Language, Cookie"},
        )

    @get("/offline", include_in_schema=False, sync_to_thread=False)
    def offline() -> Template:
        return Template(template_name="offline.html", headers={"cache-control": "no-cache"})

    return Litestar(
        route_handlers=[
            healthz,
            static,
            service_worker,
            manifest,
            offline,
            AuthController,
            AccountController,
            PlanController,
        ],
        dependencies={
            "db": Provide(provide_db),
            "viewer": Provide(current_viewer, sync_to_thread=True),
        },
        state=State({"engine": engine, "settings": settings, "assets": assets}),
        middleware=[locale_middleware],
        before_send=[security_headers],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="iup_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="strict",
            header_name="x-csrftoken",
            cookie_httponly=True,
        ),
        template_config=TemplateConfig(engine=make_templates(assets)),
        exception_handlers={AuthError: refused, Exception: error_handler},
        openapi_config=OpenAPIConfig(
            title="IUP", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        on_shutdown=[engine.dispose],
        debug=False,
    )
