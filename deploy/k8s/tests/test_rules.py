"""The alert and recording rules are valid Prometheus rules (promtool), the SLO alerts fire when their budget
burns and stay quiet when it does not (promtool's unit tests), and every expression reads only series that
exist: ones Antre's code exports, ones the rules record, or the cluster exporters'.

A missing ``promtool`` fails the run rather than skipping it (``make k8s-check`` installs it through
scripts/k8s-tools.sh, from Debian's ``prometheus`` package)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from k8s_metrics import exported_metrics, recorded_series, rule_groups, unknown_series

PROMTOOL_TESTS = Path(__file__).parent / "promtool"
WINDOWS = {"5m": 5, "30m": 30, "1h": 60, "2h": 120, "6h": 360, "1d": 1440, "3d": 4320}  # minutes


def promtool():
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is needed to check the rules: run scripts/k8s-tools.sh (make k8s-check does)")
    return path


@pytest.fixture
def rules_dir(tmp_path):
    """The PrometheusRule's groups as a plain rules file (what the operator hands Prometheus), beside the
    promtool unit tests."""
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups()}, sort_keys=False))
    for test in PROMTOOL_TESTS.glob("*.test.yaml"):
        shutil.copy(test, tmp_path / test.name)
    return tmp_path


def run(*args, cwd):
    out = subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout + out.stderr


def test_promtool_accepts_every_rule(rules_dir):
    code, output = run("check", "rules", "rules.yaml", cwd=rules_dir)
    assert code == 0, output
    count = sum(len(g["rules"]) for g in rule_groups())
    assert f"SUCCESS: {count} rules found" in output, output


def test_the_slo_alerts_pass_their_unit_tests(rules_dir):
    tests = sorted(p.name for p in rules_dir.glob("*.test.yaml"))
    firing = set()
    for name in tests:
        for case in yaml.safe_load((rules_dir / name).read_text())["tests"]:
            firing |= {t["alertname"] for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    assert len(firing) >= 2, f"at least two alerts must be shown firing, not only {firing}"
    code, output = run("test", "rules", *tests, cwd=rules_dir)
    assert code == 0, output


def test_promtool_unit_tests_can_fail(rules_dir):
    """Guard against a vacuous run: an alert expected where none fires must fail."""
    broken = yaml.safe_load((rules_dir / "slo_alerts.test.yaml").read_text())
    quiet = next(t for case in broken["tests"] for t in case["alert_rule_test"] if not t["exp_alerts"])
    quiet["exp_alerts"] = [{"exp_labels": {"severity": "critical"}}]
    (rules_dir / "broken.test.yaml").write_text(yaml.safe_dump(broken))
    code, _ = run("test", "rules", "broken.test.yaml", cwd=rules_dir)
    assert code != 0


def test_every_rule_reads_only_series_that_exist():
    exported, recorded = exported_metrics(), recorded_series()
    assert "antre_gateway_http_requests_total" in exported and "antre_scheduling_outbox_published_total" in exported
    problems = {}
    for group in rule_groups():
        for rule in group["rules"]:
            unknown = unknown_series(rule["expr"], exported, recorded)
            if unknown:
                problems[rule.get("alert") or rule["record"]] = sorted(unknown)
    assert not problems, problems


def test_the_series_check_catches_a_misspelt_metric():
    exported, recorded = exported_metrics(), recorded_series()
    assert unknown_series('sum(rate(antre_gateway_http_request_total{route="/x"}[5m]))', exported, recorded)
    assert unknown_series('max({__name__=~"antre_.+_outbox_lag_seconds"})', exported, recorded)
    assert unknown_series("antre:slo_booking:nothing_recorded_5m > 1", exported, recorded)
    assert not unknown_series(
        'sum by (job) (rate(antre_gateway_http_requests_total{status=~"5.."}[5m]))', exported, recorded
    )


def test_every_slo_alert_burns_over_a_long_and_a_short_window():
    """The SRE workbook's shape: each condition pairs a long window with a short one at the same threshold."""
    slo_alerts = [r for g in rule_groups() for r in g["rules"] if r.get("alert", "").endswith(("BurnFast", "BurnSlow"))]
    assert len(slo_alerts) >= 6
    for alert in slo_alerts:
        clauses = alert["expr"].strip().split("\nor ")
        assert len(clauses) == 2, alert["alert"]
        for clause in clauses:
            (long, at), (short, at_short) = re.findall(r"_rate(\w+) > (\([^)]*\)|[\d.]+)", clause)
            assert at == at_short and WINDOWS[long] > WINDOWS[short], (alert["alert"], clause)
        assert alert["labels"]["slo"] and alert["annotations"]["runbook_url"].startswith("docs/runbook.md#")
