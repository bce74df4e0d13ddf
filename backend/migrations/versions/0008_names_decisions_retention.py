"""Imported history keeps people by name (docs/exchange.md, "Import"): a reply, a
preparation and a plan event may have an author known only by name, and an imported
agreement no creator here, and an imported plan keeps the state it had at the sending
school. A guardian link keeps a staff decision on its access, which a
roster import never overrides. Each school may set its own retention periods.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:27:49.280008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAMED = (("plan_event", None), ("preparation", "author_id"), ("reflection_reply", "author_id"))
RETENTION = ("retention_read_log_days", "retention_audit_days", "retention_plan_years")


def upgrade() -> None:
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.alter_column("created_by_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("guardianship", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_guardianship_decided_by_id_person", "person", ["decided_by_id"], ["id"]
        )

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "imported_state",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                server_default="",
                nullable=False,
            )
        )

    for table, author in NAMED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "by_name" if author is None else "author_name",
                    sqlmodel.sql.sqltypes.AutoString(length=200),
                    server_default="",
                    nullable=False,
                )
            )
            if author is not None:
                batch_op.alter_column(author, existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("school", schema=None) as batch_op:
        for name in RETENTION:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        for name in reversed(RETENTION):
            batch_op.drop_column(name)

    for table, author in reversed(NAMED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if author is not None:
                batch_op.alter_column(author, existing_type=sa.INTEGER(), nullable=False)
            batch_op.drop_column("by_name" if author is None else "author_name")

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("imported_state")

    with op.batch_alter_table("guardianship", schema=None) as batch_op:
        batch_op.drop_constraint("fk_guardianship_decided_by_id_person", type_="foreignkey")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("decided_at")

    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.alter_column("created_by_id", existing_type=sa.INTEGER(), nullable=False)
