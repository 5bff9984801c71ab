"""check codes, the inbox and the verification throttle (revision 0003, after 0002)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0003", "0002"


def upgrade():
    op.add_column("delivery", sa.Column("check_hash", sa.String(64)))
    op.add_column("delivery", sa.Column("check_sealed", sa.Text()))
    op.add_column("delivery", sa.Column("inbox_sealed", sa.Text()))
    op.create_index("ix_delivery_check_hash", "delivery", ["check_hash"], unique=True)
    op.create_table(
        "verify_throttle",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade():
    op.drop_table("verify_throttle")
    op.drop_index("ix_delivery_check_hash", table_name="delivery")
    op.drop_column("delivery", "inbox_sealed")
    op.drop_column("delivery", "check_sealed")
    op.drop_column("delivery", "check_hash")
