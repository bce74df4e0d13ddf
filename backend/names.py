"""Whose name a viewer may see (issue 10): the one rule for every page, partial and JSON
answer that names a person other than the viewer around a pupil.

A person marked "Sekretessmarkering" or "Skyddad folkbokföring" (SS 12000
securityMarking) is named only to herself and to the staff who work with the pupil (her
mentors and teachers, the principal of her school: the relations of backend/access/). Every other
viewer, who here is always the pupil or one of her guardians, reads a role word instead
("en vårdnadshavare"). A marked pupil stays named to her own guardians with access: they
are her family, and other families never reach her data at all.

The pupil herself does not see a marked guardian's name either: a protected parent is
protected from the other household, and the pupil's screen (and her printed or exported
data) is read in that household too; she knows her parents without the app naming them.

Callers select `Person.security_marking` with the names in the same query (no second
round trip) and ask `Namer.name` or `Namer.given`; staff-only code and internal uses
take `Namer.everyone()`."""

from __future__ import annotations

import msgspec

from backend.i18n import N_, gettext
from backend.models import Person

PROTECTED = frozenset({"Sekretessmarkering", "Skyddad folkbokföring"})
# The role word said instead of a protected name, by the person's role towards the pupil
# (an access.Relation value).
ROLE_WORDS = {
    "self": N_("a pupil"),
    "guardian": N_("a guardian"),
    "mentor": N_("a mentor"),
    "teacher": N_("a teacher"),
    "principal": N_("a principal"),
}


def protected(marking: str | None) -> bool:
    return marking in PROTECTED


def role_word(role: str) -> str:
    return gettext(ROLE_WORDS.get(role, N_("someone")))


class Namer(msgspec.Struct, frozen=True, kw_only=True):
    """One viewer's names around one pupil. `staff`: she is the pupil's mentor, teacher or
    her school's principal (she sees every name); else she is the pupil or a guardian."""

    viewer_id: int
    pupil_id: int
    staff: bool

    @classmethod
    def everyone(cls) -> Namer:
        """Every name, for staff-only views, the exchange document and internal checks."""
        return cls(viewer_id=0, pupil_id=0, staff=True)

    def sees(self, *, person_id: int | None, marking: str | None) -> bool:
        if self.staff or not protected(marking) or person_id == self.viewer_id:
            return True
        # Her own guardians (only those with access reach this page) know the pupil.
        return person_id == self.pupil_id and self.viewer_id != self.pupil_id

    def name(
        self, *, person_id: int | None, given: str, family: str, marking: str | None, role: str
    ) -> str:
        if self.sees(person_id=person_id, marking=marking):
            return f"{given} {family}"
        return role_word(role)

    def given(self, *, person_id: int | None, given: str, marking: str | None, role: str) -> str:
        """The given name alone ("signerat av Anna"), or the role word."""
        return given if self.sees(person_id=person_id, marking=marking) else role_word(role)

    def person(self, person: Person, *, role: str) -> str:
        return self.name(
            person_id=person.id,
            given=person.given_name,
            family=person.family_name,
            marking=person.security_marking,
            role=role,
        )
