"""A thread per goal and one for the plan as a whole (issue 24, items 1 and 6): the
messages the pupil, her guardians, her mentor and the goal's teacher write, and who has
read which.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 00:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thread_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["reply_id"], ["reflection_reply.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("thread_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_thread_message_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            "ix_thread_message_plan_id_goal_id", ["plan_id", "goal_id"], unique=False
        )
    op.create_table(
        "thread_read",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["thread_message.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("message_id", "person_id"),
    )
    with op.batch_alter_table("thread_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_read_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("thread_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_read_person_id"))
    op.drop_table("thread_read")
    with op.batch_alter_table("thread_message", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_message_plan_id_goal_id")
        batch_op.drop_index(batch_op.f("ix_thread_message_author_id"))
    op.drop_table("thread_message")
