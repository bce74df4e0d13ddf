"""`iup roster sync` (backend/roster/sync.py): each SS 12000 API a sync reads, with the time
(by the API's clock) the next sync asks for changes after, and the records the last sync
read from it, as IUP decodes them (no identity number, address, e-mail or phone).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:10:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("synced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_table(
        "roster_record",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["roster_source.id"]),
        sa.PrimaryKeyConstraint("source_id", "entity", "external_id"),
    )


def downgrade() -> None:
    op.drop_table("roster_record")
    op.drop_table("roster_source")
