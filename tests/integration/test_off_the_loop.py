"""Nothing blocks a worker (issue 22, item 6): an export or an import of a long history runs
in a thread, and the process's event loop answers others meanwhile. Each work is held
until a request sent after it has been answered on the same app: on the event loop it could
never be (the loop would wait for the work, the work for the answer) and fails after 10 s."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import msgspec
import pytest
from sqlmodel import Session

from backend.exchange import controllers, service
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_exchange_upload import upload


def held(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str
) -> tuple[threading.Event, list[bool]]:
    """`owner.name` waits for the returned event before it does its work; the list says
    whether the answer came while it waited."""
    answered = threading.Event()
    waited: list[bool] = []
    work = getattr(owner, name)

    def waiting(*args: Any, **kwargs: Any) -> Any:
        waited.append(answered.wait(10))
        return work(*args, **kwargs)

    monkeypatch.setattr(owner, name, waiting)
    return answered, waited


@pytest.mark.parametrize(
    ("owner", "name", "send"),
    [
        (service, "export", lambda v, p, _d: v.get(f"/api/pupils/{p}/export")),
        (service, "export", lambda v, p, _d: v.get(f"/pupils/{p}/export.json")),
        (
            controllers,
            "import_for",
            lambda v, p, d: v.post(
                f"/api/imports?person_id={p}",
                content=d,
                headers={"content-type": "application/json"},
            ),
        ),
        (controllers, "import_document", lambda v, p, d: upload(v, f"/pupils/{p}/import", d)),
    ],
    ids=["api export", "download", "api import", "upload"],
)
def test_the_loop_answers_while_the_work_runs(
    db: Session,
    signed_in: Callable[[str], Visitor],
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    send: Callable[[Visitor, int, bytes], httpx.Response],
    settings: Settings,
) -> None:
    mentor = signed_in("mentor-4a")
    alva = int(demo_person(db, "alva").id or 0)
    document = msgspec.json.encode(service.export(db, pupil_id=alva, settings=settings))
    answered, waited = held(monkeypatch, owner, name)
    with ThreadPoolExecutor(1) as pool:
        working = pool.submit(send, mentor, alva, document)
        meanwhile = mentor.get("/login")  # the same app, the same event loop
        answered.set()
        done = working.result(timeout=30)
    assert meanwhile.status_code in (200, 303)
    assert waited == [True], "nothing was answered while the work ran"
    assert done.status_code < 500, done.text  # the export, or the import refused (409)
