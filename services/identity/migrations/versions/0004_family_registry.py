"""dependents: family-card members a holder books for (revision 0004_family_registry, after 0003)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_family_registry", "0004_phone_accounts"


def upgrade():
    op.create_table(
        "dependent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("nik_hash", sa.String(length=64), nullable=False),
        sa.Column("nik_enc", sa.Text(), nullable=False),
        sa.Column("full_name_enc", sa.Text(), nullable=False),
        sa.Column("birth_date_enc", sa.Text(), nullable=False),
        sa.Column("relationship", sa.String(length=20), nullable=False),
        sa.Column("person_ref", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["holder_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nik_hash"),
    )
    op.create_index(op.f("ix_dependent_holder_id"), "dependent", ["holder_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_dependent_holder_id"), table_name="dependent")
    op.drop_table("dependent")
