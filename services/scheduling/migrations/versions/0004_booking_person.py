"""bookings name whom they are for: the holder or a dependent (revision 0004_booking_person, after 0003)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_booking_person", "0004_releases_waitlist"


def upgrade():
    op.add_column("booking", sa.Column("person_id", sa.Uuid(as_uuid=False), nullable=True))
    op.create_index("ix_booking_person", "booking", ["person_id"], unique=False)


def downgrade():
    op.drop_index("ix_booking_person", table_name="booking")
    op.drop_column("booking", "person_id")
