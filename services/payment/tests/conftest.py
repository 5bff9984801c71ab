from pathlib import Path

import pytest


@pytest.fixture
def service_dir():
    return Path(__file__).resolve().parents[1]
