"""create_app(settings) -> Litestar: wires the rooms and domains together, nothing else."""

from __future__ import annotations

import secrets
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from backend import errors, i18n, readlog, shell
from backend.access import ROLE_WORDS
from backend.agreements.api import AgreementsApiController
from backend.agreements.controllers import WrittenPlanController
from backend.agreements.page import AGREEMENT_WORDS, PARTY_WORDS, PLAN_WORDS
from backend.assets import THEME_COLOUR, Assets, built
from backend.auth.controllers import (
    AccountApiController,
    AccountController,
    AuthApiController,
    AuthController,
    SessionsApiController,
)
from backend.auth.sessions import CSRF_COOKIE, current_viewer, peek_viewer
from backend.compilation.controllers import CompilationApiController, CompilationController
from backend.db import make_engine, provide_db, release_db
from backend.exchange.controllers import ExchangeApiController, ExchangeController
from backend.goals.api import GoalApiController
from backend.goals.controllers import GoalController
from backend.groups.controllers import GroupApiController, GroupController
from backend.home.controllers import HomeController
from backend.home.history_controllers import HistoryApiController, HistoryController
from backend.mydata.controllers import MyDataApiController, MyDataController
from backend.notes.controllers import NoteApiController, NoteController
from backend.notifications import push
from backend.notifications.controllers import (
    NotificationApiController,
    NotificationController,
    PushApiController,
)
from backend.people.controllers import PeopleApiController, PeopleController
from backend.people.guardian_controllers import GuardianApiController, GuardianController
from backend.periodic import periodic_work
from backend.plans.controllers import PlanApiController
from backend.plans.events import EVENT_WORDS
from backend.preparation.controllers import PreparationApiController, PreparationController
from backend.reflections.controllers import ReflectionApiController, ReflectionController
from backend.schools.controllers import SchoolSettingsApiController, SchoolSettingsController
from backend.settings import Settings
from backend.stats.controllers import StatsApiController, StatsController
from backend.talks.api import TalkApiController
from backend.talks.controllers import TalkController
from backend.terms.api import TermApiController
from backend.terms.controllers import TermController
from backend.threads.api import ThreadApiController
from backend.threads.controllers import ThreadController
from backend.web import MAX_BODY, App, IupRequest, security_headers

TEMPLATES = Path(__file__).resolve().parent / "templates"


def make_templates(assets: Assets, settings: Settings) -> JinjaTemplateEngine:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(
        _=i18n.template_gettext,
        ngettext=i18n.template_ngettext,
        asset=assets.url,
        locale=i18n.current.get,
        direction=lambda: i18n.direction(i18n.current.get()),
        languages=i18n.LANGUAGES,
        format_date=partial(i18n.format_date, zone=settings.zone),
        format_day=partial(i18n.format_day, zone=settings.zone),
        format_time=partial(i18n.format_time, zone=settings.zone),
        format_list=i18n.format_list,
        format_number=i18n.format_number,
        term_name=i18n.term_name,
        theme_colour=THEME_COLOUR,
        htmx=next(p for p in assets.by_path if p.startswith("js/htmx-")),
        new_key=lambda: secrets.token_urlsafe(12),
        roles=ROLE_WORDS,
        read_words=readlog.KIND_WORDS,
        party_words=PARTY_WORDS,
        agreement_words=AGREEMENT_WORDS,
        plan_words=PLAN_WORDS,
        event_words=EVENT_WORDS,
        in_language=i18n.in_language,  # {% call in_language(lang) %}: a letter in hers
    )
    return JinjaTemplateEngine.from_environment(env)


def create_app(settings: Settings) -> App:
    settings.zone  # noqa: B018  (an unknown IUP_TIME_ZONE stops the start, not a request)
    engine = make_engine(settings.database_url)
    assets = built()
    push.serve(engine, settings)  # pushes queued on this engine are sent with these settings
    return App(
        route_handlers=[
            *shell.ROUTES,
            AuthController,
            AuthApiController,
            AccountController,
            AccountApiController,
            SessionsApiController,
            HomeController,
            PlanApiController,
            GoalController,
            GoalApiController,
            NoteController,
            NoteApiController,
            ThreadController,
            ThreadApiController,
            ReflectionController,
            ReflectionApiController,
            PeopleController,
            PeopleApiController,
            GuardianController,
            GuardianApiController,
            GroupController,
            GroupApiController,
            StatsController,
            StatsApiController,
            TermController,
            TermApiController,
            SchoolSettingsController,
            SchoolSettingsApiController,
            TalkController,
            TalkApiController,
            CompilationController,
            CompilationApiController,
            AgreementsApiController,
            WrittenPlanController,
            NotificationController,
            NotificationApiController,
            PushApiController,
            PreparationController,
            PreparationApiController,
            HistoryController,
            HistoryApiController,
            ExchangeController,
            ExchangeApiController,
            MyDataController,
            MyDataApiController,
        ],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "viewer": Provide(current_viewer, sync_to_thread=False),
        },
        state=State({"engine": engine, "settings": settings, "assets": assets}),
        request_class=IupRequest,
        request_max_body_size=MAX_BODY,
        before_send=[release_db, security_headers],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=settings.cookie(CSRF_COOKIE),
            cookie_secure=settings.secure_cookies,
            cookie_samesite="strict",
            header_name="x-csrftoken",
            cookie_httponly=True,
        ),
        template_config=TemplateConfig(engine=make_templates(assets, settings)),
        exception_handlers={Exception: errors.handler(peek_viewer)},
        openapi_config=OpenAPIConfig(
            title="IUP", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        lifespan=[periodic_work],  # ended terms close, retention: at start-up, then hourly
        on_shutdown=[engine.dispose],
        logging_config=None,  # the server's entry point logs to stdout (asgi.py)
        debug=False,
    )
