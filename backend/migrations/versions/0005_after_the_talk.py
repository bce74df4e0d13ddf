"""After the talk: the written plan (summary of measures), agreements with their passkey
signatures kept whole for later verification, the signing ceremony's state on the
challenge, and a term's close.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:36:27.928686
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("party", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("progress_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("progress_comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("followed_up_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("followed_up_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "follow_up_comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["followed_up_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_summary",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("participants", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("measures_school", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("measures_pupil", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("measures_home", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("next_goals", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_table(
        "agreement_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=32), nullable=False),
        sa.Column("bundle", sa.LargeBinary(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("authenticator_data", sa.LargeBinary(), nullable=False),
        sa.Column("client_data_json", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("user_handle", sa.LargeBinary(length=64), nullable=False),
        sa.Column("signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("voided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "signer_id", "agreement_version"),
    )
    with op.batch_alter_table("agreement_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_signature_agreement_id"), ["agreement_id"], unique=False
        )

    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "agreement_ids",
                sqlmodel.sql.sqltypes.AutoString(length=400),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("nonce", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("bundle", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_term_closed_by_id_person", "person", ["closed_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.drop_constraint("fk_term_closed_by_id_person", type_="foreignkey")
        batch_op.drop_column("closed_by_id")
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_column("bundle")
        batch_op.drop_column("nonce")
        batch_op.drop_column("agreement_ids")

    with op.batch_alter_table("agreement_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_signature_agreement_id"))

    op.drop_table("agreement_signature")
    op.drop_table("plan_summary")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_plan_id"))

    op.drop_table("agreement")
