"""accounts per phone number: a keyed hash of the phone (revision 0004_phone_accounts, after 0003)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_phone_accounts", "0003"


def upgrade():
    op.add_column("user_account", sa.Column("phone_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_user_account_phone_hash", "user_account", ["phone_hash"])


def downgrade():
    op.drop_index("ix_user_account_phone_hash", table_name="user_account")
    op.drop_column("user_account", "phone_hash")
