"""replay store, integration clients and tokens, daily aggregates

Revision ID: 0002_replay
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_replay"
down_revision = "0001"
branch_labels = None
depends_on = None
# The writing transaction's id (integration/models.py, replay.py: the order without gaps).
CURRENT_TX = "(pg_current_xact_id()::text)::bigint"


def upgrade():
    op.create_table(
        "stored_event",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("tx", sa.BigInteger(), nullable=False, server_default=sa.text(CURRENT_TX)),
        sa.Column("event_id", sa.String(100), nullable=False, unique=True),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("event", postgresql.JSONB(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_stored_event_position", "stored_event", ["tx", "seq"], unique=True)
    op.create_index("ix_stored_event_received", "stored_event", ["received_at"])
    op.create_table(
        "retention_mark",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "client",
        sa.Column("client_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(as_uuid=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "access_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_access_token_client", "access_token", ["client_id"])
    op.create_table(
        "no_show",
        sa.Column("booking_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "stats_day",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    for table in ("stats_day", "no_show", "access_token", "client", "retention_mark", "stored_event"):
        op.drop_table(table)
