"""The migrations build exactly the tables the models describe (tests never use create_all)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from identity.models import Base


def test_models_and_migrations_do_not_drift(identity_config):
    engine = create_engine(identity_config["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
