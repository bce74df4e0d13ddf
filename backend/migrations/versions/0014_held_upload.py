"""An uploaded exchange document held until its uploader confirms whose history it is
(issue 23, item 1): the upload page asks before storing, without asking for the file again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_upload",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pupil_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("held_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_upload_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_upload_expires_at"))
    op.drop_table("held_upload")
