"""office queue tickets (revision 0003, after 0002)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0003", "0002"


def upgrade():
    op.create_table(
        "ticket",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("office_code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ticket_number", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("booking_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("counter", sa.String(length=10), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
        ),
        sa.ForeignKeyConstraint(
            ["office_code"],
            ["office.code"],
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["service.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booking_id", name="uq_ticket_booking"),
        sa.UniqueConstraint("office_code", "day", "ticket_number", name="uq_ticket_number"),
    )
    op.create_index(
        "ix_ticket_waiting",
        "ticket",
        ["office_code", "day", "issued_at"],
        unique=False,
        postgresql_where=sa.text("status = 'waiting'"),
    )


def downgrade():
    op.drop_index("ix_ticket_waiting", table_name="ticket", postgresql_where=sa.text("status = 'waiting'"))
    op.drop_table("ticket")
