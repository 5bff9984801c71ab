"""one active booking per person, whatever the service (revision 0005_one_booking_per_person)

Before upgrading a database with real bookings, find the people who hold more than one (the index cannot be
built while they do) and settle them with the office (docs/runbook.md "One active booking per person"):

    SELECT person_ref, count(*) FROM booking
    WHERE status IN ('awaiting_payment', 'confirmed', 'checked_in', 'called', 'serving')
    GROUP BY person_ref HAVING count(*) > 1;
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005_one_booking_per_person", "0004_booking_person"

ACTIVE = "status IN ('awaiting_payment', 'confirmed', 'checked_in', 'called', 'serving')"


def upgrade():
    op.drop_index("uq_booking_active_person_service", table_name="booking")
    op.create_index(
        "uq_booking_active_person", "booking", ["person_ref"], unique=True, postgresql_where=sa.text(ACTIVE)
    )


def downgrade():
    op.drop_index("uq_booking_active_person", table_name="booking")
    op.create_index(
        "uq_booking_active_person_service",
        "booking",
        ["person_ref", "service_code"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
    )
