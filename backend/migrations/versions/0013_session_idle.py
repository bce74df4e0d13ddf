"""Sessions that end when left (issue 23): an idle end besides the absolute one, and the
CSRF token bound to the session. Sessions begun before have neither, so they end here:
everyone signs in once more after the upgrade (one touch of a passkey).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM login_session")
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("idle_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        )
        batch_op.add_column(sa.Column("idle_minutes", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("csrf_hash", sa.LargeBinary(length=32), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_column("csrf_hash")
        batch_op.drop_column("idle_minutes")
        batch_op.drop_column("idle_until")
