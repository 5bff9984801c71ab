"""The Grafana dashboards: generated from dashboards/generate.py (the JSON is not stale), shipped in every
environment as a ConfigMap the Grafana sidecar picks up, well-formed for Grafana (uid, title, schemaVersion,
panels with targets), and every query names only series that Antre's code exports, the rules record, or the
cluster's exporters provide."""

import importlib.util
import json

import pytest
from k8s_manifests import K8S, OVERLAYS, of_kind
from k8s_metrics import exported_metrics, recorded_series, unknown_series

DASHBOARDS = K8S / "components/monitoring/dashboards"
PANEL_TYPES = {"row", "timeseries", "stat", "gauge", "table", "bargauge"}


def generator():
    spec = importlib.util.spec_from_file_location("antre_dashboards", DASHBOARDS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shipped(objects):
    """``{file name: dashboard}`` of every ConfigMap the Grafana sidecar loads."""
    found = {}
    for config in of_kind(objects, "ConfigMap"):
        if config["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            for name, text in config["data"].items():
                assert name not in found, f"{name} shipped twice"
                found[name] = json.loads(text)
    return found


def queries(dashboard):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def check_dashboard(dashboard):
    """What Grafana needs to import a dashboard from the sidecar, and what makes one readable at 07:00."""
    for field in ("uid", "title", "schemaVersion", "panels"):
        assert dashboard.get(field), f"dashboard without {field}"
    assert len(dashboard["uid"]) <= 40, dashboard["uid"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), dashboard["uid"]
    for panel in dashboard["panels"]:
        assert panel["type"] in PANEL_TYPES and panel["title"], panel
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
        if panel["type"] != "row":
            assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"]), panel["title"]


def test_the_json_is_what_the_generator_writes():
    rendered = generator().render()
    committed = {p.name: p.read_text() for p in DASHBOARDS.glob("*.json")}
    assert committed == rendered, "run: python deploy/k8s/components/monitoring/dashboards/generate.py"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_environment_ships_the_dashboards_to_grafanas_sidecar(rendered, overlay):
    dashboards = shipped(rendered[overlay])
    assert set(dashboards) == {"antre-release.json", "antre-services.json", "antre-integration.json"}
    uids = [d["uid"] for d in dashboards.values()]
    assert len(uids) == len(set(uids))
    for dashboard in dashboards.values():
        check_dashboard(dashboard)


def test_every_query_names_a_series_that_exists():
    exported, recorded = exported_metrics(), recorded_series()
    problems = []
    for path in DASHBOARDS.glob("*.json"):
        dashboard = json.loads(path.read_text())
        count = 0
        for title, expr in queries(dashboard):
            count += 1
            unknown = unknown_series(expr, exported, recorded)
            if unknown:
                problems.append(f"{path.name} / {title}: {sorted(unknown)}")
        assert count >= 4, path.name
    assert not problems, "\n".join(problems)


def test_the_release_dashboard_shows_what_the_runbook_says_to_watch():
    release = json.loads((DASHBOARDS / "antre-release.json").read_text())
    exprs = " ".join(expr for _, expr in queries(release))
    for needed in (
        'status="429"',
        'status="503"',
        'status=~"5.."',
        "histogram_quantile(0.5",
        "histogram_quantile(0.99",
    ):
        assert needed in exprs, needed
    assert 'route="/api/v1/bookings"' in exprs and "by (route, le)" in exprs


def test_the_dashboard_check_rejects_a_broken_one():
    release = json.loads((DASHBOARDS / "antre-release.json").read_text())
    broken = json.loads(json.dumps(release))
    del broken["uid"]
    with pytest.raises(AssertionError):
        check_dashboard(broken)
    broken = json.loads(json.dumps(release))
    next(p for p in broken["panels"] if p["type"] != "row")["targets"] = []
    with pytest.raises(AssertionError):
        check_dashboard(broken)
    assert unknown_series("sum(rate(antre_gateway_waiting_room_joins_total[1m]))", exported_metrics(), set())
