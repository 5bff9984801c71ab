"""redeemed upload grants: single use of the gateway's grant to stream a file (revision 0004_upload_grants)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_upload_grants", "0002"


def upgrade():
    op.create_table(
        "upload_grant",
        sa.Column("grant_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_upload_grant_expires_at", "upload_grant", ["expires_at"])


def downgrade():
    op.drop_index("ix_upload_grant_expires_at", table_name="upload_grant")
    op.drop_table("upload_grant")
