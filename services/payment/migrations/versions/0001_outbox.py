"""outbox and processed events

Revision ID: 0001
Revises:
"""

from antre_common.migration_ops import create_event_tables, drop_event_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_event_tables()


def downgrade():
    drop_event_tables()
