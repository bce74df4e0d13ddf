"""Schemathesis against our own OpenAPI document (`/schema/openapi.json`): every JSON
operation gets requests made from its schema, valid ones and ones that break it, anonymous
and signed in as a pupil, a guardian, a mentor and a principal (a session cookie and the
CSRF header, so the requests get past sign-in and CSRF into the handlers). Path ids are
sometimes the demo's real ones (Alva, her goal, her group, ...) and sometimes made up. The
one rule checked: no 5xx (`not_a_server_error`); a refusal is a 4xx with a reason. Bounded
and repeatable: a few examples per operation, derandomized, no example database, no
network (the app is called in the process, over ASGI). docs/TESTING.md says more."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as budget
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from sqlalchemy import text
from sqlmodel import Session

from backend.settings import Settings
from tests.integration.conftest import ORIGIN, Visitor, demo_person

# Per operation, generation mode (valid, schema-breaking) and kind of ids (made up, the
# demo's): 84 operations make about 2 700 requests a role, ~15 s. IUP_FUZZ_EXAMPLES: deeper.
EXAMPLES = int(os.environ.get("IUP_FUZZ_EXAMPLES", "10"))
# IUP_FUZZ_CHECKS=all runs every default check of schemathesis too (responses against the
# schema, status codes, headers): the known mismatches are listed in docs/TESTING.md.
CHECKS = None if os.environ.get("IUP_FUZZ_CHECKS") == "all" else [not_a_server_error]
ROLES = ["anonymous", "alva", "guardian-anna", "mentor-4a", "principal"]
# Requests per role and status, printed at the end of each role's test (seen with -s).
STATUSES: dict[str, Counter[int]] = {role: Counter() for role in ROLES}


@pytest.fixture
def settings(fresh: Callable[[str], str]) -> Settings:
    """The demo, fresh for each role, on the run's database (make test runs both:
    PostgreSQL refuses more than SQLite stores)."""
    return Settings(
        database_url=fresh("iup"), origin=ORIGIN, rp_id="localhost", secret_key="test-secret"
    )


@pytest.fixture
def schema(app: Litestar) -> Iterator[Any]:
    """The document as the app serves it; the app's lifespan ends with the test."""
    yield schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    asgi.shutdown_lifespans()


def real_ids(db: Session) -> dict[str, Any]:
    """Path parameters that name something in the demo: Alva and what hangs off her, so
    each role reaches the handler's inside (her guardian and her mentor pass the access
    check; the anonymous visitor and a made-up id must get 401/404)."""
    alva = demo_person(db, "alva")

    def one(sql: str, **params: Any) -> int:
        return int(db.execute(text(f"SELECT {sql} LIMIT 1"), params).scalar_one())

    return {
        "pupil_id": alva.id,
        "person_id": alva.id,
        "guardian_id": demo_person(db, "guardian-anna").id,
        "plan_id": one("id FROM plan WHERE pupil_id = :p ORDER BY id DESC", p=alva.id),
        "goal_id": one(
            "goal.id FROM goal JOIN plan ON plan.id = goal.plan_id WHERE plan.pupil_id = :p",
            p=alva.id,
        ),
        "group_id": one("id FROM pupil_group WHERE name = '4A'"),
        "school_id": one("id FROM school WHERE name = 'Demoskolan'"),
        "term_id": one(
            "term.id FROM term JOIN school ON school.id = term.school_id "
            "WHERE school.name = 'Demoskolan' ORDER BY starts_on DESC"
        ),
        "talk_time_id": one(
            "talk_time.id FROM talk_time JOIN pupil_group ON pupil_group.id = group_id "
            "WHERE pupil_group.name = '4A'"
        ),
        "note_id": one("id FROM note WHERE pupil_id = :p", p=alva.id),
        "proposal_id": one("id FROM goal_proposal"),
        "assessment_id": one("id FROM selfassessment"),
    }


@pytest.mark.long
@pytest.mark.database("postgresql")  # the stricter one: it refuses what SQLite stores
@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_with_a_server_error(
    role: str,
    schema: Any,
    db: Session,
    visitor: Callable[[], Visitor],
    signed_in: Callable[[str], Visitor],
) -> None:
    # Anonymous is a browser that has opened a page (so it holds a CSRF token) and has not
    # signed in: its requests reach the sign-in and enrolment handlers, and 401 elsewhere.
    browser = visitor() if role == "anonymous" else signed_in(role)
    headers = {"x-csrftoken": browser.token}
    cookies = {cookie.name: cookie.value for cookie in browser.client.cookies.jar}
    ids = real_ids(db)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        known = {name: ids[name] for name in names if name in ids}
        # Made-up ids, and (where the path names something) the demo's: valid requests and
        # requests that break the schema, so bad bodies also meet the handlers behind access.
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        strategies = [operation.as_strategy(mode) for mode in modes]
        if known:
            strategies += [operation.as_strategy(mode, path_parameters=known) for mode in modes]
        cases = st.one_of(*strategies)

        @given(case=cases)
        @budget(
            max_examples=EXAMPLES * len(strategies),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],  # a failure is reported as found, not shrunk
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
            STATUSES[role][response.status_code] += 1

        try:
            call()
        except (Exception, FailureGroup) as error:  # FailureGroup is no Exception
            failures.append(f"{operation.label}: {error}")
    statuses = STATUSES[role]
    print(f"\n{role}: {statuses.total()} examples, by status {sorted(statuses.items())}")
    assert not failures, "\n\n".join(failures)
