"""Scaling ahead of the release (components/keda): each ScaledObject takes over its process's HPA with the same
bounds and CPU target, the release window is 06:45-07:30 in each of Indonesia's time zones, the replica and
queue figures are README.md's arithmetic from the measured per-replica throughput, and every queue a trigger
watches is one a process really consumes."""

import math
import re

import pytest
from k8s_manifests import OVERLAYS, REPO, named, of_kind
from test_docs import README, documented_secret_keys, markdown_table

ZONES = {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}  # WIB, WITA, WIT
PRE_SCALED = ("gateway", "scheduling")


def triggers(scaled, kind):
    return [t for t in scaled["spec"]["triggers"] if t["type"] == kind]


def consumed_queues():
    """``{process: {queue}}`` of nameko's queues: ``rpc-<service>`` and one per event handler,
    ``evt-<source>-<event>--<service>.<method>``."""
    queues = {}
    for service in ("identity", "scheduling", "documents", "notification"):
        text = (REPO / f"services/{service}/{service}/service.py").read_text()
        handlers = re.findall(r'@event_handler\("(\w+)", "(\w+)"\)\s+def (\w+)', text)
        events = {f"evt-{src}-{event}--{service}.{method}" for src, event, method in handlers}
        queues[service] = {f"rpc-{service}"} | events
    return queues


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_scaled_object_takes_over_its_hpa_with_the_same_bounds(rendered, overlay):
    objects = rendered[overlay]
    scaled_objects = of_kind(objects, "ScaledObject")
    assert {s["metadata"]["name"] for s in scaled_objects} == {"gateway", "scheduling", "notification", "documents"}
    for scaled in scaled_objects:
        name = scaled["metadata"]["name"]
        assert scaled["spec"]["scaleTargetRef"]["name"] == name
        hpa_name = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["name"]
        assert scaled["metadata"]["annotations"]["scaledobject.keda.sh/transfer-hpa-ownership"] == "true"
        hpa = named(objects, "HorizontalPodAutoscaler", hpa_name)["spec"]
        assert hpa["scaleTargetRef"]["name"] == name
        assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (
            hpa["minReplicas"],
            hpa["maxReplicas"],
        ), f"{overlay} {name}: KEDA would rewrite the HPA's bounds"
        (cpu,) = triggers(scaled, "cpu")
        assert int(cpu["metadata"]["value"]) == hpa["metrics"][0]["resource"]["target"]["averageUtilization"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_and_scheduling_are_ready_from_0645_to_0730_in_every_time_zone(rendered, overlay):
    for name in PRE_SCALED:
        crons = triggers(named(rendered[overlay], "ScaledObject", name), "cron")
        assert {c["metadata"]["timezone"] for c in crons} == ZONES and len(crons) == 3, name
        for cron in crons:
            assert (cron["metadata"]["start"], cron["metadata"]["end"]) == ("45 6 * * *", "30 7 * * *"), name


def test_release_replicas_are_the_readmes_arithmetic(rendered):
    sizing = {r[0]: r for r in markdown_table(README.read_text(), "| process | peak (/s) | T per replica (/s) | min")}
    rows = markdown_table(README.read_text(), "| process | peak (/s) | T per replica (/s) | release replicas")
    assert sorted(r[0] for r in rows) == sorted(PRE_SCALED)
    for process, peak, t, replicas in rows:
        assert (peak, t) == (sizing[process][1], sizing[process][2]), f"{process}: same peak and T as the sizing"
        hpa = named(rendered["prod"], "HorizontalPodAutoscaler", process)["spec"]
        expected = min(hpa["maxReplicas"], math.ceil(float(peak) / (0.7 * float(t))) + 1)
        assert int(replicas) == expected, f"{process}: README says {replicas}, the arithmetic {expected}"
        for cron in triggers(named(rendered["prod"], "ScaledObject", process), "cron"):
            assert int(cron["metadata"]["desiredReplicas"]) == expected, process


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_queue_triggers_watch_real_queues_with_the_readmes_targets(rendered, overlay):
    rows = markdown_table(README.read_text(), "| process | queue | T per replica")
    expected = {}
    for process, queue, t, seconds, value in rows:
        assert int(value) == round(float(t) * float(seconds)), (process, queue)
        expected.setdefault(process, {})[queue] = value
    consumed = consumed_queues()
    found = {}
    auths = {a["metadata"]["name"]: a for a in of_kind(rendered[overlay], "TriggerAuthentication")}
    for scaled in of_kind(rendered[overlay], "ScaledObject"):
        process = scaled["metadata"]["name"]
        for trigger in triggers(scaled, "rabbitmq"):
            queue = trigger["metadata"]["queueName"]
            assert queue in consumed.get(process, set()), f"{process} does not consume {queue}"
            found.setdefault(process, {})[queue] = trigger["metadata"]["value"]
            auth = auths[trigger["authenticationRef"]["name"]]
            refs = {r["parameter"]: (r["name"], r["key"]) for r in auth["spec"]["secretTargetRef"]}
            assert refs == {
                "host": (f"antre-{process}", "AMQP_URI"),  # the process's own broker URI
                "tls": (f"antre-{process}", "AMQP_TLS"),  # over TLS, as the process
                "ca": ("antre-rabbitmq-tls", "ca.crt"),  # trusting the broker's CA alone
            }, refs
    assert found == expected
    for auth in auths.values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert (ref["name"], ref["key"]) in documented_secret_keys(), ref


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_may_ask_the_broker_and_nothing_else_opens(rendered, overlay):
    policy = named(rendered[overlay], "NetworkPolicy", "antre-rabbitmq-from-keda")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "antre-rabbitmq"}
    (rule,) = policy["ingress"]
    assert [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in rule["from"]] == ["keda"]
    assert [p["port"] for p in rule["ports"]] == [5671]  # AMQP over TLS: the plain listener is off
