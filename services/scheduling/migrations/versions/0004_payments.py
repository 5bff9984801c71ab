"""bookings of services with a fee: awaiting_payment holds the seat, the bill's code and deadline (revision
0004_payments, after 0003)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_payments", "0003"

ACTIVE = "uq_booking_active_person_service"


def _active_index(statuses):
    op.drop_index(ACTIVE, table_name="booking")
    op.create_index(
        ACTIVE,
        "booking",
        ["person_ref", "service_code"],
        unique=True,
        postgresql_where=sa.text(f"status IN ({statuses})"),
    )


def upgrade():
    op.add_column("service", sa.Column("prepaid", sa.Boolean(), nullable=False, server_default="false"))
    op.add_column("booking", sa.Column("billing_code", sa.String(15)))
    op.add_column("booking", sa.Column("fee_amount", sa.BigInteger()))
    op.add_column("booking", sa.Column("payment_expires_at", sa.DateTime(timezone=True)))
    op.add_column("booking", sa.Column("receipt_number", sa.String(20)))
    # A booking awaiting payment holds its seat, so it counts as the person's active booking of the service.
    _active_index("'awaiting_payment', 'confirmed', 'checked_in', 'called', 'serving'")


def downgrade():
    _active_index("'confirmed', 'checked_in', 'called', 'serving'")
    for column in ("receipt_number", "payment_expires_at", "fee_amount", "billing_code"):
        op.drop_column("booking", column)
    op.drop_column("service", "prepaid")
