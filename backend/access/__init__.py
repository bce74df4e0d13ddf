"""Who may touch this pupil (DESIGN, "Who does what"): one dependency that every route
declares, so no domain can forget it. It resolves the viewer's relation to the pupil the
path names, answers 404 outside it (never a hint that the pupil exists), records the read
when the reader is not the pupil, and hands the handler an `Access` that says what the
viewer may do. tests/integration/test_access.py walks app.routes and fails for a route that
declares no policy.

    @get("/pupils/{pupil_id:int}", dependencies=access.for_pupil(ReadKind.PLAN))
    def page(access: Access) -> ...

The parts: standing.py (relations, `Access`), policies.py (the policies about one pupil),
staff.py (staff's, groups', schools', persons' and talk times' policies), pupils.py (who
reads a pupil, whom an adult may open), queries.py (their prebuilt reads). Every name other
rooms use is named here: `from backend.access import ...` is the one way in."""

from backend.access.policies import (
    OWN,
    PUBLIC,
    SIGNED_IN,
    Policy,
    for_pupil,
    for_record,
    own,
    relation,
)
from backend.access.pupils import PupilEntry, Reader, readers_of, visible_pupils
from backend.access.staff import (
    FOR_GROUP,
    FOR_ORGANISATION,
    FOR_PERSON,
    FOR_SCHOOL,
    FOR_TALK_TIME,
    STAFF_ONLY,
    GroupAccess,
    OrganisationAccess,
    PersonAccess,
    Staff,
    StaffGroup,
    TalkTimeAccess,
    organisations_of,
    staff_of,
)
from backend.access.standing import (
    FAMILY,
    PLAN_READERS,
    REASON_LASTS,
    ROLE_WORDS,
    STAFF,
    THREAD_READERS,
    Access,
    ReasonNeeded,
    Record,
    Relation,
    namer_for,
)

__all__ = [
    "FAMILY",
    "FOR_GROUP",
    "FOR_ORGANISATION",
    "FOR_PERSON",
    "FOR_SCHOOL",
    "FOR_TALK_TIME",
    "OWN",
    "PLAN_READERS",
    "PUBLIC",
    "REASON_LASTS",
    "ROLE_WORDS",
    "SIGNED_IN",
    "STAFF",
    "STAFF_ONLY",
    "THREAD_READERS",
    "Access",
    "GroupAccess",
    "OrganisationAccess",
    "PersonAccess",
    "Policy",
    "PupilEntry",
    "Reader",
    "ReasonNeeded",
    "Record",
    "Relation",
    "Staff",
    "StaffGroup",
    "TalkTimeAccess",
    "for_pupil",
    "for_record",
    "namer_for",
    "organisations_of",
    "own",
    "readers_of",
    "relation",
    "staff_of",
    "visible_pupils",
]
