"""A unique key for a school known from imported exchange documents (issue 22): two
imports from the same sending school at the same moment, in two processes, find one row.

The key is the one the import matched by before: the relying party, the origin and the
school unit code (else the name). Rows made by earlier imports get it, the oldest of each
key (the one the import chose) only; this installation's own schools (with groups, or
from the roster) keep NULL.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sender_key", sqlmodel.sql.sqltypes.AutoString(length=800), nullable=True)
        )
    school = sa.table(
        "school",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("unit_code", sa.String),
        sa.column("rp_id", sa.String),
        sa.column("origin", sa.String),
        sa.column("sender_key", sa.String),
        sa.column("external_id", sa.String),
    )
    connection = op.get_bind()
    ours = {row[0] for row in connection.execute(sa.text("SELECT school_id FROM pupil_group"))}
    seen: set[str] = set()
    for id_, name, unit_code, rp_id, origin, external_id in connection.execute(
        sa.select(
            school.c.id,
            school.c.name,
            school.c.unit_code,
            school.c.rp_id,
            school.c.origin,
            school.c.external_id,
        ).order_by(school.c.id)
    ):
        if not (rp_id or origin) and (id_ in ours or external_id is not None):
            continue  # this installation's: it has groups, or the roster brought it
        key = f"{rp_id}\n{origin}\n" + (f"unit:{unit_code}" if unit_code else f"name:{name}")
        if key not in seen:
            seen.add(key)
            connection.execute(school.update().where(school.c.id == id_).values(sender_key=key))
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_school_sender_key", ["sender_key"])


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_constraint("uq_school_sender_key", type_="unique")
        batch_op.drop_column("sender_key")
