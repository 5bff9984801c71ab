from pathlib import Path

import pytest


@pytest.fixture
def service_dir():
    """A service whose migrations are only the shared event tables: any service's first revision."""
    return Path(__file__).resolve().parents[3] / "services" / "notification"
