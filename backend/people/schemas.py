"""What crosses the edge of the people domain: who a member of staff may issue a sign-up
link for, their passkeys, and the link itself."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from backend.auth.schemas import PasskeyPublic

Role = Literal["pupil", "guardian", "teacher", "mentor"]


class RolePublic(msgspec.Struct, kw_only=True):
    """How a person is linked to the school, as far as the viewer may see: a pupil in a
    group, a guardian of a pupil, a teacher (of a subject) or mentor in a group."""

    role: Role
    of: str  # the group's name; for a guardian, the pupil's name
    group_id: int
    subject: str = ""


class PersonEntry(msgspec.Struct, kw_only=True):
    """Someone in a list, with how many passkeys she has (0: she cannot sign in)."""

    id: int
    name: str
    passkeys: int


class PupilEntry(PersonEntry, kw_only=True):
    guardians: list[PersonEntry]  # those with access to the plan


class StaffEntry(PersonEntry, kw_only=True):
    roles: list[RolePublic]


class PersonPublic(msgspec.Struct, kw_only=True):
    id: int
    name: str
    roles: list[RolePublic]
    school: str  # on the letter
    language: str  # the letter's: hers when it is offered in it, else Swedish
    passkeys: list[PasskeyPublic]


class EnrolmentLinkPublic(msgspec.Struct, kw_only=True):
    """A one-time sign-up link. Shown once: only a hash of its code is stored."""

    url: str
    expires_at: datetime


class RemoveForm(msgspec.Struct, kw_only=True):
    confirm: str = ""  # "yes" after the confirmation step


class GuardianLinkPublic(msgspec.Struct, kw_only=True):
    """A guardian link of a pupil, as her staff see it: every relation type, whether it
    may read the plan and sign, and the staff decision on that, if any."""

    guardian_id: int
    pupil_id: int
    name: str
    relation: str  # SS 12000 relationType: Vårdnadshavare, Annan ansvarig, God man, Utsedd behörig
    has_access: bool
    decided_at: datetime | None = None  # a staff decision: imports and settings keep it
    decided_by: str = ""


class GuardianAccessUpdate(msgspec.Struct, kw_only=True):
    has_access: bool


class GuardianAccessForm(msgspec.Struct, kw_only=True):
    has_access: str = ""  # "1": open the link, "0": restrict it
    confirm: str = ""  # "yes" after the confirmation step
