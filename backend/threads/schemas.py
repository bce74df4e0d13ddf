"""What crosses the edge of the threads domain: a message written (`text`), a message as a
reader sees it (writer, role, times, whether she has read it), and a page of a thread."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.web import TEXT_PATTERN

TEXT_MAX = 2000
MessageText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=TEXT_MAX,
        pattern=TEXT_PATTERN,
        description="The message: about the pupil and her goal, not about other pupils or "
        "health (no control characters)",
    ),
]


class MessageForm(msgspec.Struct, kw_only=True):
    """From the HTML form: checked by the service so errors show in place."""

    text: str = ""


class MessageCreate(msgspec.Struct, kw_only=True):
    text: MessageText


class MessageUpdate(msgspec.Struct, kw_only=True):
    text: MessageText


class MessagePublic(msgspec.Struct, kw_only=True):
    """A message as one reader sees it."""

    id: int
    plan_id: int
    goal_id: int | None  # None: the plan's thread
    author: str  # the writer's name, or her role word where her identity is protected
    role: str  # the writer's relation to the pupil when she wrote: self, guardian, mentor, teacher
    text: str
    created_at: datetime
    edited_at: datetime | None = None
    read: bool  # the reader has read it (her own messages are read)
    mine: bool = False  # the reader wrote it
    editable_until: datetime | None = None  # her own, while she may still change it


class ReplyInThread(msgspec.Struct, kw_only=True):
    """A teacher's reply to a rating written before the threads (or imported)."""

    author: str
    text: str
    created_at: datetime


class ThreadPublic(msgspec.Struct, kw_only=True):
    """A page of a thread: the newest messages first in `messages` are the last ones
    (oldest first, as a conversation reads), at most `limit`; `before` is the cursor of the
    older page (pass it back as `before`), None at the oldest."""

    plan_id: int
    goal_id: int | None
    area: str = ""  # the goal's area and text; empty for the plan's thread
    goal: str = ""
    messages: list[MessagePublic]
    before: int | None = None
    unread: int = 0  # unread for the reader before this read
    may_write: bool = False
    archived: bool = False
    # Earlier teachers' replies to the goal's ratings (kept under the rating), shown first.
    replies: list[ReplyInThread] = []


class ThreadMark(msgspec.Struct, kw_only=True):
    """What a goal's card (or the plan) shows of a thread: how many messages, how many
    unread for the viewer."""

    count: int = 0
    unread: int = 0


class NewMessage(msgspec.Struct, kw_only=True):
    """A message from the pupil or a guardian that a member of staff has not read, in her
    "New from my pupils" list."""

    id: int
    pupil_id: int
    pupil: str
    plan_id: int
    goal_id: int | None
    area: str
    goal: str
    author: str
    role: str
    text: str
    created_at: datetime
    group_id: int  # the group the pupil is the viewer's pupil in
