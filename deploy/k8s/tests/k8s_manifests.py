"""What the k8s tests share: where things are, rendering an overlay, and small lookups over objects."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

K8S = Path(__file__).resolve().parents[1]
REPO = K8S.parents[1]
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())
PROCESSES = {
    "gateway": 8000,
    "identity": 8001,
    "scheduling": 8002,
    "documents": 8003,
    "notification": 8004,
    "payment": 8005,
    "integration": 8006,
}
DB_SERVICES = ("identity", "scheduling", "documents", "notification", "payment", "integration")
# Where each process's package lives (its Dockerfile and config.yaml beside it).
PROCESS_DIRS = {name: REPO / ("gateway" if name == "gateway" else f"services/{name}") for name in PROCESSES}


def render(path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is needed to render the overlays (it bundles kustomize)")
    out = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"kubectl kustomize {path} failed:\n{out.stderr}"
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def of_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def named(objects, kind, name):
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def selects(selector, labels):
    """Whether a matchLabels selector selects ``labels`` (we only use matchLabels)."""
    assert set(selector) <= {"matchLabels"}, selector
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
