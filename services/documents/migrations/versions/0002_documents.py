"""bookings, checklists and documents (revision 0002, after 0001)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"


def upgrade():
    op.create_table(
        "booking",
        sa.Column("booking_id", sa.String(64), primary_key=True),
        sa.Column("reservation_code", sa.String(32), nullable=False, unique=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("visit_date", sa.String(10)),
        sa.Column("checklist_loaded", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("purged_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_booking_ended_at", "booking", ["ended_at"])
    op.create_table(
        "checklist_item",
        sa.Column(
            "booking_id",
            sa.String(64),
            sa.ForeignKey("booking.booking_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("doc_type", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "document",
        sa.Column("document_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column(
            "booking_id",
            sa.String(64),
            sa.ForeignKey("booking.booking_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("doc_type", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False, unique=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("booking_id", "doc_type", name="uq_document_booking_type"),
    )
    op.create_index("ix_document_booking_id", "document", ["booking_id"])


def downgrade():
    op.drop_index("ix_document_booking_id", table_name="document")
    op.drop_table("document")
    op.drop_table("checklist_item")
    op.drop_index("ix_booking_ended_at", table_name="booking")
    op.drop_table("booking")
