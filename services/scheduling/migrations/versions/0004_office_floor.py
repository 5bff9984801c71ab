"""office floor: declared priority, recalls and requeues, the floor's audit trail (revision 0004_office_floor)"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision = "0004_office_floor", "0004_payments"


def upgrade():
    op.add_column("booking", sa.Column("priority", sa.String(length=20), nullable=True))
    op.add_column("ticket", sa.Column("recalls", sa.Integer(), server_default="0", nullable=False))
    op.add_column("ticket", sa.Column("requeued_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "floor_audit",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("office_code", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("subject_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_floor_audit_office_time", "floor_audit", ["office_code", "occurred_at"], unique=False)


def downgrade():
    op.drop_index("ix_floor_audit_office_time", table_name="floor_audit")
    op.drop_table("floor_audit")
    op.drop_column("ticket", "requeued_at")
    op.drop_column("ticket", "recalls")
    op.drop_column("booking", "priority")
