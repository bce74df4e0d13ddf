"""Organisations (issue 22): a school organiser (huvudman or förvaltning), its schools, and
the people who work for it and read its figures across schools.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id"),
    )
    op.create_table(
        "organisation_school",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("school_id"),
    )
    op.create_index(
        op.f("ix_organisation_school_organisation_id"),
        "organisation_school",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "organiser",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("organisation_id", "person_id"),
    )
    op.create_index(op.f("ix_organiser_person_id"), "organiser", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_organiser_person_id"), table_name="organiser")
    op.drop_table("organiser")
    op.drop_index(op.f("ix_organisation_school_organisation_id"), table_name="organisation_school")
    op.drop_table("organisation_school")
    op.drop_table("organisation")
