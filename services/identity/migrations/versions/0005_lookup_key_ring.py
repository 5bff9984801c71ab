"""which lookup key made a row's keyed hashes, so LOOKUP_KEY can rotate (revision 0005_lookup_key_ring)"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005_lookup_key_ring", "0004_family_registry"


def upgrade():
    # NULL: made before the ring (the key then configured); housekeeping moves rows to the newest key.
    for table in ("user_account", "dependent"):
        op.add_column(table, sa.Column("lookup_kid", sa.String(length=32), nullable=True))


def downgrade():
    for table in ("user_account", "dependent"):
        op.drop_column(table, "lookup_kid")
