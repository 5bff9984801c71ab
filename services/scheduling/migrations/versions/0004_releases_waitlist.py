"""releases, waiting room places, waitlist, cooldown index (revision 0004_releases_waitlist, after 0003)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_releases_waitlist", "0004_disruptions"

UUID = sa.Uuid(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "release",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("office_code", sa.String(16), sa.ForeignKey("office.code"), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("opens_at", TS, nullable=False),
        sa.Column("waiting_room_opens_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("office_code", "date", name="uq_release_office_date"),
    )
    op.create_table(
        "queue_place",
        sa.Column("release_id", UUID, sa.ForeignKey("release.id"), primary_key=True),
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("ballot", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", TS, nullable=False),
        sa.Column("admission", UUID, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("booking_id", UUID, nullable=True),
        sa.UniqueConstraint("admission", name="uq_queue_place_admission"),
    )
    op.create_index("ix_queue_place_order", "queue_place", ["release_id", "late", "ballot", "joined_at", "user_id"])
    op.create_table(
        "waitlist_entry",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("person_ref", sa.String(64), nullable=False),
        sa.Column("office_code", sa.String(16), sa.ForeignKey("office.code"), nullable=False),
        sa.Column("service_code", sa.String(40), sa.ForeignKey("service.code"), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("offer_slot_id", UUID, sa.ForeignKey("slot.id"), nullable=True),
        sa.Column("offered_at", TS, nullable=True),
        sa.Column("offer_expires_at", TS, nullable=True),
        sa.Column("booking_id", UUID, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(
        "ix_waitlist_next",
        "waitlist_entry",
        ["office_code", "date", "created_at"],
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index(
        "ix_waitlist_offer_expiry",
        "waitlist_entry",
        ["offer_expires_at"],
        postgresql_where=sa.text("status = 'offered'"),
    )
    op.create_index("ix_waitlist_user", "waitlist_entry", ["user_id"])
    op.create_index(
        "uq_waitlist_live",
        "waitlist_entry",
        ["person_ref", "office_code", "service_code", "date"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )
    op.create_index(
        "ix_booking_person_cancelled",
        "booking",
        ["person_ref", "updated_at"],
        postgresql_where=sa.text("status = 'cancelled'"),
    )


def downgrade():
    op.drop_index("ix_booking_person_cancelled", table_name="booking")
    op.drop_table("waitlist_entry")
    op.drop_table("queue_place")
    op.drop_table("release")
