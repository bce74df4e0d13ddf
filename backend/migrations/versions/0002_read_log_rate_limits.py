"""The read log in its own table, rate-limit counters, idempotent self-assessments, and an
index on challenge expiry (swept by an indexed delete).
Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "read_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["reader_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_read_log_pupil_id_at", "read_log", ["pupil_id", "at"], unique=False)
    # Reads recorded as audit events until now move to the read log (their role unknown).
    op.execute(
        "INSERT INTO read_log (at, reader_id, pupil_id, kind, role) "
        "SELECT at, actor_id, pupil_id, 'plan', '' FROM auditevent "
        "WHERE kind = 'read' AND actor_id IS NOT NULL AND pupil_id IS NOT NULL"
    )
    op.execute("DELETE FROM auditevent WHERE kind = 'read'")
    op.create_table(
        "rate_limit",
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )
    op.create_index(
        op.f("ix_rate_limit_window_start"), "rate_limit", ["window_start"], unique=False
    )
    with op.batch_alter_table("selfassessment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            "uq_selfassessment_goal_id_idempotency_key", ["goal_id", "idempotency_key"]
        )
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenge_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_expires_at"))
    with op.batch_alter_table("selfassessment", schema=None) as batch_op:
        batch_op.drop_constraint("uq_selfassessment_goal_id_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")
    op.drop_index(op.f("ix_rate_limit_window_start"), table_name="rate_limit")
    op.drop_table("rate_limit")
    op.execute(
        "INSERT INTO auditevent (at, actor_id, pupil_id, kind, detail) "
        "SELECT at, reader_id, pupil_id, 'read', kind FROM read_log"
    )
    op.drop_index("ix_read_log_pupil_id_at", table_name="read_log")
    op.drop_table("read_log")
