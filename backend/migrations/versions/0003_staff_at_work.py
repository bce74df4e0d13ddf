"""Staff at work: goals that are edited and retired, the pupil's goal proposals, replies to
and seen marks on self-assessments, running notes, enrolment links that are voided and know
who issued them, and a principal's reason in the read log.
Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:11:09
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_note_pupil_id_created_at", ["pupil_id", "created_at"], unique=False
        )

    op.create_table(
        "goal_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("how", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("goal_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_proposal_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "reflection_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("self_assessment_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["self_assessment_id"],
            ["selfassessment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reflection_reply", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reflection_reply_self_assessment_id"),
            ["self_assessment_id"],
            unique=False,
        )

    op.create_table(
        "reflection_seen",
        sa.Column("self_assessment_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["self_assessment_id"],
            ["selfassessment.id"],
        ),
        sa.PrimaryKeyConstraint("self_assessment_id", "person_id"),
    )
    with op.batch_alter_table("reflection_seen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reflection_seen_person_id"), ["person_id"], unique=False
        )

    with op.batch_alter_table("enrolmentcode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("voided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_enrolmentcode_issued_by_id_person", "person", ["issued_by_id"], ["id"]
        )

    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "how",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("retired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_goal_updated_by_id_person", "person", ["updated_by_id"], ["id"]
        )

    with op.batch_alter_table("read_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reason",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("read_log", schema=None) as batch_op:
        batch_op.drop_column("reason")

    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_constraint("fk_goal_updated_by_id_person", type_="foreignkey")
        batch_op.drop_column("retired_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("updated_by_id")
        batch_op.drop_column("how")

    with op.batch_alter_table("enrolmentcode", schema=None) as batch_op:
        batch_op.drop_constraint("fk_enrolmentcode_issued_by_id_person", type_="foreignkey")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("issued_by_id")

    with op.batch_alter_table("reflection_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflection_seen_person_id"))

    op.drop_table("reflection_seen")
    with op.batch_alter_table("reflection_reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflection_reply_self_assessment_id"))

    op.drop_table("reflection_reply")
    with op.batch_alter_table("goal_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_proposal_plan_id"))

    op.drop_table("goal_proposal")
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index("ix_note_pupil_id_created_at")
        batch_op.drop_index(batch_op.f("ix_note_author_id"))

    op.drop_table("note")
