"""bills, payments, refunds, channel outages, reconciliation reports (revision 0002_bills, after 0001)"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision, down_revision = "0002_bills", "0001"


def upgrade():
    op.create_table(
        "bill",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("billing_code", sa.String(15), nullable=False, unique=True),
        sa.Column("booking_id", sa.Uuid(as_uuid=False), nullable=False, unique=True),
        sa.Column("reservation_code", sa.String(12)),
        sa.Column("user_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_code", sa.String(40), nullable=False),
        sa.Column("office_code", sa.String(16), nullable=False),
        sa.Column("tariff", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("booked", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("receipt_number", sa.String(20), unique=True),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("closed_reason", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bill_pending_expires", "bill", ["expires_at"], postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        "payment",
        sa.Column("transaction_id", sa.String(64), primary_key=True),
        sa.Column("bill_id", sa.Uuid(as_uuid=False), sa.ForeignKey("bill.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
    )
    op.create_index("ix_payment_bill_id", "payment", ["bill_id"])
    op.create_table(
        "refund",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column(
            "transaction_id", sa.String(64), sa.ForeignKey("payment.transaction_id"), nullable=False, unique=True
        ),
        sa.Column("bill_id", sa.Uuid(as_uuid=False), sa.ForeignKey("bill.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_refund_bill_id", "refund", ["bill_id"])
    op.create_table(
        "channel_outage",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(64)),
    )
    op.create_table(
        "reconciliation",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("report", JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("reconciliation")
    op.drop_table("channel_outage")
    op.drop_index("ix_refund_bill_id", table_name="refund")
    op.drop_table("refund")
    op.drop_index("ix_payment_bill_id", table_name="payment")
    op.drop_table("payment")
    op.drop_index("ix_bill_pending_expires", table_name="bill")
    op.drop_table("bill")
