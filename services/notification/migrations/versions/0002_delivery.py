"""delivery log and booking references (revision 0002, after 0001)"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision = "0002", "0001"


def upgrade():
    op.create_table(
        "delivery",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("event_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("message_type", sa.String(50), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("user_id", sa.Uuid(as_uuid=False)),
        sa.Column("booking_id", sa.Uuid(as_uuid=False)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("provider_id", sa.String(200)),
        sa.Column("last_error", sa.String(200)),
        sa.Column("data", postgresql.JSONB()),
        sa.Column("request_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "message_type", "channel", name="uq_delivery_event_message_channel"),
    )
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.create_index("ix_delivery_user", "delivery", ["user_id", "created_at"])
    op.create_table(
        "booking_ref",
        sa.Column("booking_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("reservation_code", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("office_code", sa.String(32)),
        sa.Column("service_code", sa.String(64)),
        sa.Column("date", sa.Date()),
        sa.Column("start", sa.String(40)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("booking_ref")
    op.drop_index("ix_delivery_user", table_name="delivery")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
