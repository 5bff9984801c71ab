"""Alembic operations for the tables of ``antre_common.models``, shared by every service's first revision."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_event_tables():
    op.create_table(
        "outbox",
        sa.Column("event_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("exchange", sa.String(100)),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("request_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_pending", "outbox", ["created_at"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_event_tables():
    op.drop_table("processed_event")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
