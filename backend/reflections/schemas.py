"""What crosses the edge of the reflections domain: a teacher's list of self-assessments
with comments from her pupils, and her replies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.plans.schemas import ReplyPublic
from backend.threads.schemas import NewMessage
from backend.web import TEXT_PATTERN

REPLY_MAX = 500


class ReplyForm(msgspec.Struct, kw_only=True):
    """From the HTML form: checked by the service so errors show in place."""

    text: str = ""


class ReplyCreate(msgspec.Struct, kw_only=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=REPLY_MAX,
            pattern=TEXT_PATTERN,
            description="A short answer the pupil and her guardians read under the rating",
        ),
    ]


class ReflectionPublic(msgspec.Struct, kw_only=True):
    """A self-assessment with a comment, as the teacher or mentor sees it in her list."""

    id: int  # the self-assessment
    pupil_id: int
    pupil: str
    group_id: int
    group: str
    goal_id: int
    area: str
    goal: str
    level: int  # 1..4, shown as words
    comment: str
    created_at: datetime
    unread: bool  # neither marked seen nor replied to by the viewer
    in_my_subject: bool  # the goal's area is one of the viewer's subjects in the group
    replies: list[ReplyPublic] = []
    archived: bool = False  # its plan is archived: read-only, no more replies


class ReflectionList(msgspec.Struct, kw_only=True):
    items: list[ReflectionPublic]
    days: int  # how far back the list reaches
    limit: int  # at most this many items
    # The pupils' and guardians' messages in her threads that she has not read, newest first
    messages: list[NewMessage] = []
