"""Models and migrations cannot drift: the migrated database is exactly what models.py declares."""

from antre_common.migrations import drift
from payment.models import Base


def test_migrations_match_the_models(database_factory, service_dir):
    assert drift(database_factory(service_dir), Base.metadata) == []
