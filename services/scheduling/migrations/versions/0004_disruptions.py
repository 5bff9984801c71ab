"""disruptions: an office's declared outage or closure, and the free reschedule it grants (revision
0004_disruptions)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004_disruptions", "0004_office_floor"


def upgrade():
    op.create_table(
        "disruption",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("office_code", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("declared_by", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_code"], ["office.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_disruption_office_end", "disruption", ["office_code", "ends_at"], unique=False)
    op.add_column("booking", sa.Column("disruption_id", sa.Uuid(as_uuid=False), nullable=True))
    op.add_column("booking", sa.Column("free_reschedules", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    op.drop_column("booking", "free_reschedules")
    op.drop_column("booking", "disruption_id")
    op.drop_index("ix_disruption_office_end", table_name="disruption")
    op.drop_table("disruption")
