"""What crosses the edge of the school settings."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

# SS 12000 relationType, as the roster stores them (backend/roster/source.py RELATIONS).
RelationType = Literal["Vårdnadshavare", "Annan ansvarig", "God man", "Utsedd behörig"]
DAYS_MAX = 36_500  # a hundred years: more is a typing error
YEARS_MAX = 100
Days = Annotated[int, msgspec.Meta(ge=0, le=DAYS_MAX, description="0 keeps for ever")]
Years = Annotated[int, msgspec.Meta(ge=0, le=YEARS_MAX, description="0 keeps for ever")]


class RetentionDefaults(msgspec.Struct, kw_only=True):
    """The installation's IUP_RETENTION_* settings: what an empty field means."""

    read_log_days: int
    audit_days: int
    plan_years: int


class SchoolSettingsPublic(msgspec.Struct, kw_only=True):
    school_id: int
    name: str
    guardian_relations: list[str]  # the relation types whose guardians read and sign
    retention_read_log_days: int | None  # None: the installation's default
    retention_audit_days: int | None
    retention_plan_years: int | None
    defaults: RetentionDefaults
    # What the settings were when read: send it back with a save, and a save over a change
    # made meanwhile by someone else is refused (409 with the settings as they are now).
    version: str
    links_changed: int = 0  # guardian links whose access this save changed


class SchoolSettingsUpdate(msgspec.Struct, kw_only=True):
    """The whole setting (PUT): a retention period left out or null is the installation's
    default."""

    guardian_relations: Annotated[list[RelationType], msgspec.Meta(min_length=1, max_length=4)]
    retention_read_log_days: Days | None = None
    retention_audit_days: Days | None = None
    retention_plan_years: Years | None = None
    version: str | None = None  # as read (GET); None saves whatever is there now


class SchoolSettingsForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors show in place. A
    single ticked box arrives as a string, several as a list."""

    guardian_relations: str | list[str] = ""
    retention_read_log_days: str = ""
    retention_audit_days: str = ""
    retention_plan_years: str = ""
    version: str = ""  # as the page showed them

    def relations(self) -> list[str]:
        value = self.guardian_relations
        return [value] if isinstance(value, str) and value else list(value or [])
