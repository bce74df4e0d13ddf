"""All my data: the page, its JSON download, and the same JSON for the API. The viewer
herself (policy SIGNED_IN): there is no path to anyone else's."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Template
from sqlmodel import Session

from backend.access import SIGNED_IN
from backend.errors import refusals
from backend.home import history
from backend.mydata import service
from backend.mydata.schemas import MyData
from backend.plans.service import LEVEL_WORDS
from backend.viewer import Viewer
from backend.web import Page

NO_STORE = {"cache-control": "no-store"}


class MyDataController(Controller):
    include_in_schema = False
    dependencies = SIGNED_IN

    @get("/me/data", sync_to_thread=False, name="mydata.page")
    def page(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Viewer]
    ) -> Template:
        return Page(
            "mydata/page.html",
            context={
                "viewer": access,
                "nav": "account",
                "d": service.my_data(db, viewer=access, settings=state.settings),
                "levels": LEVEL_WORDS,
                "signer_roles": history.SIGNER_WORDS,
                "event_kinds": service.EVENT_WORDS,
            },
            headers=NO_STORE,
        )

    @get("/me/data.json", sync_to_thread=False, name="mydata.download")
    def download(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Viewer]
    ) -> Response[bytes]:
        data = service.my_data(db, viewer=access, settings=state.settings)
        day = data.today.isoformat()
        return Response(
            msgspec.json.format(msgspec.json.encode(data), indent=2),
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="iup-my-data-{day}.json"',
                **NO_STORE,
            },
        )


class MyDataApiController(Controller):
    path = "/api"
    tags = ("mydata",)
    dependencies = SIGNED_IN

    @get(
        "/me/data",
        sync_to_thread=False,
        summary="All my data (GDPR art. 15 and 20): the signed-in person, her passkeys "
        "(names and dates, no key material), sign-ins, security events, notifications and "
        "signatures, and for each pupil whose plan she reads (herself, or a child she has "
        "access to) every term's plan, the shared notes and the read log. Never "
        "staff-only notes. A guardian's download is logged as a read of the child's plan",
        responses=refusals({}),
        name="mydata.api",
    )
    def api(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Viewer]
    ) -> Response[MyData]:
        return Response(
            service.my_data(db, viewer=access, settings=state.settings), headers=NO_STORE
        )
