"""Grafana dashboards as code: ``python deploy/k8s/components/monitoring/dashboards/generate.py`` writes the JSON
files beside it, which kustomize turns into ConfigMaps that Grafana's sidecar loads (label grafana_dashboard).
Edit this file, run it, commit both; ``make k8s-check`` fails when the JSON is stale or a query names a series
nothing exports (deploy/k8s/tests/test_dashboards.py).

Not here yet: the waiting room's joins and admissions (it does not exist yet), seats left per office (not
exported: the booking refusals by reason stand in), database pool waits (not exported: PostgreSQL backends
per service stand in).
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVICES = ("identity", "scheduling", "documents", "notification")
BOOKINGS = 'method="POST",route="/api/v1/bookings"'
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panel(title, exprs, unit="short", legend="{{route}}", width=12, kind="timeseries", description=""):
    """One panel; ``exprs`` is a list of (expr, legend) or of expr (with ``legend``)."""
    targets = []
    for i, item in enumerate(exprs):
        expr, label = item if isinstance(item, tuple) else (item, legend)
        targets.append({"refId": chr(65 + i), "expr": expr, "legendFormat": label, "datasource": DATASOURCE})
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"w": width, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    }


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "gridPos": {"w": 24, "h": 1}, "panels": []}


def dashboard(uid, title, description, panels, refresh="30s", time_from="now-3h"):
    x = y = 0
    for i, p in enumerate(panels, start=1):  # lay the panels out left to right, top to bottom
        p["id"] = i
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y = 0, y + 8
        p["gridPos"].update(x=x, y=y)
        x += w
        if x >= 24:
            x, y = 0, y + h
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["antre"],
        "timezone": "utc",
        "refresh": refresh,
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": time_from, "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "links": [{"title": "Runbook: release day", "url": "docs/runbook.md#release-day", "type": "link"}],
        "panels": panels,
    }


def release():
    q = "antre_gateway_http_requests_total"
    latency = "antre_gateway_http_request_duration_seconds_bucket"
    panels = [
        row("The crowd at the gateway"),
        panel(
            "Bookings per second (confirmed)",
            [(f'sum(rate({q}{{{BOOKINGS},status=~"2.."}}[1m]))', "confirmed")],
            unit="reqps",
            width=8,
        ),
        panel(
            "Throttled, unavailable, failed (429 / 503 / 5xx) per second",
            [
                (f'sum(rate({q}{{status="429"}}[1m]))', "429 throttled"),
                (f'sum(rate({q}{{status="503"}}[1m]))', "503 unavailable"),
                (f'sum(rate({q}{{status=~"5..",status!="503"}}[1m]))', "other 5xx (bugs)"),
            ],
            unit="reqps",
            width=8,
        ),
        panel(
            "Booking refusals by reason (a full slot is the seat gone)",
            [
                (
                    'sum by (error) (rate(antre_scheduling_entrypoint_errors_total{entrypoint="create_booking"}[1m]))',
                    "{{error}}",
                )
            ],  # fmt: skip
            unit="reqps",
            width=8,
        ),
        panel("Requests per second by route", [f"sum by (route) (rate({q}[1m]))"], unit="reqps"),
        panel(
            "Answers by status (all routes)",
            [(f"sum by (status) (rate({q}[1m]))", "{{status}}")],
            unit="reqps",
        ),
        panel("p50 latency by route", [f"histogram_quantile(0.5, sum by (route, le) (rate({latency}[1m])))"], unit="s"),
        panel(
            "p99 latency by route", [f"histogram_quantile(0.99, sum by (route, le) (rate({latency}[1m])))"], unit="s"
        ),
        row("Service-level objectives (error ratio; 1 = 100 %)"),
        panel(
            "Booking availability: 5xx ratio (SLO 99.9 %)",
            [
                ("antre:slo_booking_availability:error_ratio_rate5m", "5m"),
                ("antre:slo_booking_availability:error_ratio_rate1h", "1h"),
            ],
            unit="percentunit",
            width=8,
        ),
        panel(
            "Booking latency: share slower than 2 s (SLO 99 %, release minute excluded)",
            [
                ("antre:slo_booking_latency:error_ratio_rate5m", "5m"),
                ("antre:slo_booking_latency:error_ratio_rate1h", "1h"),
            ],
            unit="percentunit",
            width=8,
        ),
        panel(
            "Catalogue and status availability: 5xx ratio (SLO 99.5 %)",
            [
                ("antre:slo_catalogue_availability:error_ratio_rate5m", "5m"),
                ("antre:slo_catalogue_availability:error_ratio_rate1h", "1h"),
            ],
            unit="percentunit",
            width=8,
        ),
        row("Capacity"),
        panel(
            "Ready replicas (KEDA adds them from 06:45 local)",
            [('kube_deployment_status_replicas_available{deployment=~"gateway|scheduling"}', "{{deployment}}")],
            width=8,
        ),
        panel(
            "RPC calls waiting in RabbitMQ",
            [('sum by (queue) (rabbitmq_queue_messages_ready{queue=~"rpc-.+"})', "{{queue}}")],
            width=8,
        ),
        panel(
            "Events waiting for notification and documents",
            [('sum by (queue) (rabbitmq_queue_messages_ready{queue=~"evt-.+"})', "{{queue}}")],
            width=8,
        ),
    ]
    return dashboard(
        "antre-release",
        "Antre: release day",
        "The quota release at 07:00 local (WIT 22:00, WITA 23:00, WIB 00:00 UTC): what docs/runbook.md "
        "'Release day' says to watch. No waiting-room panels yet (it does not exist yet).",
        panels,
        refresh="10s",
    )


def services():
    panels = []
    for name in ("gateway", *SERVICES):
        m = f"antre_{name}"
        panels += [
            row(name),
            panel(
                "Entrypoint calls per second",
                [(f"sum by (entrypoint) (rate({m}_entrypoint_calls_total[5m]))", "{{entrypoint}}")],
                unit="reqps",
                width=8,
            ),
            panel(
                "Errors per second by type (refusals included)",
                [(f"sum by (error) (rate({m}_entrypoint_errors_total[5m]))", "{{error}}")],
                unit="reqps",
                width=8,
            ),
            panel(
                "Entrypoint latency p50 / p99",
                [
                    (f"histogram_quantile(0.5, sum by (le) (rate({m}_entrypoint_duration_seconds_bucket[5m])))", "p50"),
                    (
                        f"histogram_quantile(0.99, sum by (le) (rate({m}_entrypoint_duration_seconds_bucket[5m])))",
                        "p99",
                    ),
                ],
                unit="s",
                width=8,
            ),
        ]
        if name == "gateway":
            continue
        panels += [
            panel(
                "Outbox: oldest event not yet published",
                [(f"max({m}_outbox_oldest_pending_seconds)", "lag")],
                unit="s",
                width=8,
                description="Grows when the relay cannot publish (AntreOutboxStuck at 120 s).",
            ),
            panel(
                "RPC calls waiting / ready replicas",
                [
                    (f'sum(rabbitmq_queue_messages_ready{{queue="rpc-{name}"}})', "waiting in rpc-" + name),
                    (f'kube_deployment_status_replicas_available{{deployment="{name}"}}', "ready replicas"),
                ],
                width=8,
            ),
            panel(
                "Database connections in use (pool waits are not exported)",
                [(f'sum(cnpg_backends_total{{pod=~"{name}-db-.+"}})', "backends")],
                width=8,
            ),
        ]
    return dashboard(
        "antre-services",
        "Antre: services",
        "Each process: RPC and event entrypoints (rate, errors, latency), outbox lag, backlog and database.",
        panels,
    )


def integration():
    published = '{__name__=~"antre_.+_outbox_integration_published_total"}'
    panels = [
        panel(
            "Events published to antre.integration per second, by service",
            [(f"sum by (job) (rate({published}[5m]))", "{{job}}")],
            unit="ops",
        ),
        panel(
            "Outbox lag by service (an integration event waits there as long as any other)",
            [('max by (job) ({__name__=~"antre_.+_outbox_oldest_pending_seconds"})', "{{job}}")],
            unit="s",
        ),
        panel(
            "Events published to antre.integration, last 24 h",
            [(f"sum by (job) (increase({published}[24h]))", "{{job}}")],
            kind="stat",
        ),
        panel(
            "Messages waiting in the ministries' queues (bound to antre.integration)",
            [('sum by (queue) (rabbitmq_queue_messages_ready{queue!~"rpc-.+|evt-.+|rpc\\\\.reply-.+"})', "{{queue}}")],
        ),
    ]
    return dashboard(
        "antre-integration",
        "Antre: ministries' feed",
        "CloudEvents on the antre.integration exchange (docs/contracts.md): what other ministries receive.",
        panels,
        time_from="now-24h",
    )


DASHBOARDS = {"antre-release.json": release, "antre-services.json": services, "antre-integration.json": integration}


def render():
    return {name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n" for name, build in DASHBOARDS.items()}


if __name__ == "__main__":
    for name, text in render().items():
        (HERE / name).write_text(text)
        print("wrote", HERE / name)
