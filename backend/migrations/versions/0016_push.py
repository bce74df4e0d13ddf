"""Web Push (issue 24, items 2 and 3): a browser's subscription (for the person, the passkey
and the session it came with), the kinds she turned off, and one push a person, kind and
day.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 00:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("passkey_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("auth", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["passkey_id"], ["passkeycredential.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint"),
    )
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_push_subscription_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_push_subscription_passkey_id"), ["passkey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_push_subscription_session_id"), ["session_id"], unique=False
        )
    op.create_table(
        "push_off",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("choice", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "choice"),
    )
    op.create_table(
        "push_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "kind", "day"),
    )
    with op.batch_alter_table("push_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_sent_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("push_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_sent_sent_at"))
    op.drop_table("push_sent")
    op.drop_table("push_off")
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscription_session_id"))
        batch_op.drop_index(batch_op.f("ix_push_subscription_passkey_id"))
        batch_op.drop_index(batch_op.f("ix_push_subscription_person_id"))
    op.drop_table("push_subscription")
