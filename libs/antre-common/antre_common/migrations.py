"""Alembic, one history per service. Each service's ``migrations/env.py`` calls ``run_env``; the Makefile,
the dev stack and the tests call ``upgrade`` (tests run the migrations, never ``create_all``).

    python -m antre_common.migrations services/identity   # DATABASE_URL from the environment
"""

import os
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from antre_common.db import postgres_url


def run_env(target_metadata):
    from alembic import context

    url = context.config.attributes.get("url") or os.environ["DATABASE_URL"]
    engine = create_engine(postgres_url(url))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def alembic_config(service_dir, url):
    from alembic.config import Config

    config = Config(str(Path(service_dir) / "alembic.ini"))
    config.set_main_option("script_location", str(Path(service_dir) / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(service_dir, url, revision="head"):
    from alembic import command

    command.upgrade(alembic_config(service_dir, url), revision)


def drift(url, metadata):
    """What differs between a migrated database and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(postgres_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return [d for d in compare_metadata(context, metadata) if not _is_alembic_own(d)]
    finally:
        engine.dispose()


def _is_alembic_own(diff):
    return diff[0] == "remove_table" and getattr(diff[1], "name", None) == "alembic_version"


def ensure_database(url, template=None):
    """Create the database of ``url`` if it does not exist (connecting to ``postgres`` on the same server)."""
    url = postgres_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).scalar()
            if not exists:
                tmpl = f' TEMPLATE "{template}"' if template else ""
                conn.execute(text(f'CREATE DATABASE "{url.database}"{tmpl}'))
    finally:
        admin.dispose()


def drop_database(url):
    url = postgres_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


if __name__ == "__main__":
    service_dir = sys.argv[1]
    ensure_database(os.environ["DATABASE_URL"])
    upgrade(service_dir, os.environ["DATABASE_URL"])
    print(f"migrated {Path(service_dir).name}")
