"""staff second factor: sealed TOTP secrets, the last step used, login challenges (revision 0005_staff_second_factor)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005_staff_second_factor", "0005_lookup_key_ring"


def upgrade():
    op.add_column("user_account", sa.Column("totp_secret_enc", sa.Text(), nullable=True))
    op.add_column("user_account", sa.Column("totp_pending_enc", sa.Text(), nullable=True))
    op.add_column("user_account", sa.Column("totp_enrolled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("user_account", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "login_challenge",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_login_challenge_user_id", "login_challenge", ["user_id"])
    op.create_index("ix_login_challenge_expires_at", "login_challenge", ["expires_at"])


def downgrade():
    op.drop_table("login_challenge")
    for column in ("totp_last_step", "totp_enrolled_at", "totp_pending_enc", "totp_secret_enc"):
        op.drop_column("user_account", column)
