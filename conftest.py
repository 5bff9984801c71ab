"""Tiers by place: ``*/tests/unit`` is unit, ``*/tests/service`` is service, ``tests/system`` is system,
``tests/browser`` is browser, ``tests/chaos`` is chaos, ``tests/contract`` is contract.

So ``pytest -m unit`` (``make test-unit``) needs neither a broker nor a database."""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.path.parts
        for tier in ("unit", "service", "system", "browser", "chaos", "contract"):
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))
                break
