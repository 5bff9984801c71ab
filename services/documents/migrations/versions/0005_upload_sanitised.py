"""uploads: the hash of the file as received, and Idempotency-Key records (revision 0005_upload_sanitised)"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision = "0005_upload_sanitised", "0004_upload_grants"


def upgrade():
    op.add_column("document", sa.Column("received_sha256", sa.String(64), nullable=True))
    op.create_table(
        "idempotency_record",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_record_created_at", "idempotency_record", ["created_at"])


def downgrade():
    op.drop_index("ix_idempotency_record_created_at", table_name="idempotency_record")
    op.drop_table("idempotency_record")
    op.drop_column("document", "received_sha256")
