"""The roster import (SS 12000): a person's security marking, each guardian link's relation
type, and per school the relation types whose guardians may read the plan and sign.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:14:03.443790
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guardianship", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "relation",
                sqlmodel.sql.sqltypes.AutoString(length=30),
                server_default="Vårdnadshavare",
                nullable=False,
            )
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "security_marking",
                sqlmodel.sql.sqltypes.AutoString(length=30),
                server_default="Ingen",
                nullable=False,
            )
        )

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "guardian_relations",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                server_default="Vårdnadshavare",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("guardian_relations")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("security_marking")

    with op.batch_alter_table("guardianship", schema=None) as batch_op:
        batch_op.drop_column("relation")
