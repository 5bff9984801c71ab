"""Render every overlay once per session with ``kubectl kustomize`` and hand the objects to the tests.

A missing ``kubectl`` fails the run rather than skipping it: CI must not pass without rendering.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from k8s_manifests import K8S, OVERLAYS, render  # noqa: E402


@pytest.fixture(scope="session")
def rendered():
    """``{overlay: [object, ...]}`` for every overlay under deploy/k8s/overlays."""
    assert {"dev", "prod"} <= set(OVERLAYS), OVERLAYS
    return {name: render(K8S / "overlays" / name) for name in OVERLAYS}
