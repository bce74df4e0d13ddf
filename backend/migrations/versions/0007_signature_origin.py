"""Imported history (docs/exchange.md, "Import"): each signature keeps the relying party
and origin it was made for (empty: this installation's settings) and its signer's name (an
imported signer is no person here, so `signer_id` may be empty); a school of another installation
keeps its relying party and origin; a plan imported from another school is marked with
when.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 04:32:03.853421
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_signature", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signer_name",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                server_default="",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "rp_id",
                sqlmodel.sql.sqltypes.AutoString(length=253),
                server_default="",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "origin",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                server_default="",
                nullable=False,
            )
        )
        batch_op.alter_column("signer_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("school", schema=None) as batch_op:
        for name, length in (("rp_id", 253), ("origin", 300)):
            batch_op.add_column(
                sa.Column(
                    name,
                    sqlmodel.sql.sqltypes.AutoString(length=length),
                    server_default="",
                    nullable=False,
                )
            )

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("imported_at")

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("origin")
        batch_op.drop_column("rp_id")

    op.execute("DELETE FROM agreement_signature WHERE signer_id IS NULL")
    with op.batch_alter_table("agreement_signature", schema=None) as batch_op:
        batch_op.alter_column("signer_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("origin")
        batch_op.drop_column("rp_id")
        batch_op.drop_column("signer_name")
