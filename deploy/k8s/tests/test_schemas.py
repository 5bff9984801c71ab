"""Every rendered object is checked: built-in kinds against the Kubernetes OpenAPI schemas (strict, offline,
with ``kubernetes-validate``), the operators' kinds against what their CRDs require (their schemas cannot be
downloaded here, so the rules are written out below from the operators' CRDs). No object goes unchecked."""

import copy

import kubernetes_validate
import pytest
from k8s_manifests import K8S, OVERLAYS, named, of_kind, render
from packaging.version import Version

from antre_common import broker

# The oldest Kubernetes Antre supports (README.md) and the newest whose schemas kubernetes-validate ships:
# a field too new for the oldest fails at one end, an API that a newer release removed at the other.
MIN_KUBERNETES = "1.30"
VERSIONS = [MIN_KUBERNETES + ".0", kubernetes_validate.utils.latest_version()]


def required(obj, path):
    """The value at a dotted path, failing with the path when it is missing or empty."""
    value = obj
    for part in path.split("."):
        assert isinstance(value, dict) and part in value, f"{obj['kind']}/{obj['metadata']['name']}: no {path}"
        value = value[part]
    assert value not in (None, "", [], {}), f"{obj['kind']}/{obj['metadata']['name']}: empty {path}"
    return value


def check_rabbitmq_cluster(obj):
    # rabbitmq.com_rabbitmqclusters.yaml requires nothing in spec (the operator defaults it all); what
    # Antre relies on is checked instead: three nodes (one in dev), quorum queues by default, pinned image.
    replicas = required(obj, "spec.replicas")
    assert isinstance(replicas, int) and replicas >= 1
    assert "default_queue_type = quorum" in required(obj, "spec.rabbitmq.additionalConfig")
    assert ":" in required(obj, "spec.image") and not obj["spec"]["image"].endswith(":latest")
    required(obj, "spec.resources.limits.memory")


def check_cnpg_cluster(obj):
    # postgresql.cnpg.io_clusters.yaml: spec.instances is required (minimum 1); storage needs a size.
    instances = required(obj, "spec.instances")
    assert isinstance(instances, int) and instances >= 1
    required(obj, "spec.storage.size")
    required(obj, "spec.bootstrap.initdb.database")
    required(obj, "spec.bootstrap.initdb.owner")
    assert ":" in required(obj, "spec.imageName")


def check_cnpg_pooler(obj):
    # postgresql.cnpg.io_poolers.yaml: spec.cluster.name and spec.pgbouncer are required; Antre's code is
    # written for transaction pooling (no session state), which is what the budget assumes.
    required(obj, "spec.cluster.name")
    assert required(obj, "spec.pgbouncer.poolMode") == "transaction"
    assert obj["spec"].get("type", "rw") == "rw"
    assert isinstance(required(obj, "spec.instances"), int)


def check_minio_tenant(obj):
    # minio.min.io_tenants.yaml: spec.pools is required; each pool requires servers, volumesPerServer and
    # volumeClaimTemplate (and a unique name).
    pools = required(obj, "spec.pools")
    names = [p.get("name") for p in pools]
    assert all(names) and len(set(names)) == len(names), names
    for pool in pools:
        assert isinstance(pool.get("servers"), int) and pool["servers"] >= 1, pool
        assert isinstance(pool.get("volumesPerServer"), int) and pool["volumesPerServer"] >= 1, pool
        assert pool["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"], pool
        # Erasure coding needs at least 4 drives in a pool.
        assert pool["servers"] * pool["volumesPerServer"] >= 4, pool
    required(obj, "spec.configuration.name")


def check_service_monitor(obj):
    # monitoring.coreos.com_servicemonitors.yaml: spec.selector is required; endpoints are what it scrapes.
    required(obj, "spec.selector.matchLabels")
    for endpoint in required(obj, "spec.endpoints"):
        assert endpoint.get("port"), endpoint


def check_pod_monitor(obj):
    # monitoring.coreos.com_podmonitors.yaml: spec.selector is required.
    required(obj, "spec.selector.matchLabels")
    for endpoint in required(obj, "spec.podMetricsEndpoints"):
        assert endpoint.get("port"), endpoint


def check_prometheus_rule(obj):
    # monitoring.coreos.com_prometheusrules.yaml: each group requires name; each rule requires expr and
    # exactly one of alert/record.
    for group in required(obj, "spec.groups"):
        assert group.get("name"), group
        for rule in group["rules"]:
            assert rule.get("expr"), rule
            assert ("alert" in rule) != ("record" in rule), rule


def check_keda_scaled_object(obj):
    # keda.sh_scaledobjects.yaml: spec.scaleTargetRef.name and spec.triggers are required; each trigger
    # requires type and metadata. KEDA's own rules: min <= max, a cron trigger needs timezone, start, end and
    # desiredReplicas; a queue trigger its queue and a target value.
    required(obj, "spec.scaleTargetRef.name")
    assert obj["spec"]["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    low, high = obj["spec"].get("minReplicaCount", 0), required(obj, "spec.maxReplicaCount")
    assert isinstance(low, int) and isinstance(high, int) and 0 <= low <= high, obj["metadata"]["name"]
    for trigger in required(obj, "spec.triggers"):
        assert trigger.get("type") and isinstance(trigger.get("metadata"), dict), trigger
        meta = trigger["metadata"]
        assert all(isinstance(v, str) for v in meta.values()), f"KEDA metadata values are strings: {meta}"
        if trigger["type"] == "cron":
            assert {"timezone", "start", "end", "desiredReplicas"} <= set(meta), trigger
        elif trigger["type"] == "rabbitmq":
            assert meta.get("queueName") and meta.get("value") and meta.get("mode") == "QueueLength", trigger
            assert trigger.get("authenticationRef", {}).get("name") or meta.get("hostFromEnv"), trigger
        elif trigger["type"] == "cpu":
            assert trigger.get("metricType") == "Utilization" and meta.get("value"), trigger


def check_keda_trigger_authentication(obj):
    # keda.sh_triggerauthentications.yaml: each secretTargetRef requires parameter, name and key.
    for ref in required(obj, "spec.secretTargetRef"):
        assert ref.get("parameter") and ref.get("name") and ref.get("key"), ref


# The RabbitMQ Messaging Topology Operator (rabbitmq.com/v1beta1; its CRDs: users, permissions,
# topicpermissions, exchanges, queues, bindings). Every kind requires spec.rabbitmqClusterReference (name, or
# connectionSecret); the rest below is what each CRD marks required, plus what Antre relies on.
def cluster_reference(obj):
    reference = required(obj, "spec.rabbitmqClusterReference")
    assert reference.get("name") or reference.get("connectionSecret"), obj["metadata"]["name"]


def ministry_of(obj):
    return required(obj, "metadata.labels")["antre.imigrasi.go.id/ministry"]


def process_of(obj):
    """The Antre process whose broker user this object is about (antre_common.broker), or None."""
    return obj["metadata"].get("labels", {}).get(broker.PROCESS_LABEL)


def check_process_user(obj, process):
    # The process's own login, named by its Secret antre-<process>-broker (username, password); no tags.
    assert obj["metadata"]["name"] == f"antre-{process}"
    assert not obj["spec"].get("tags"), "a process's user has no management tags"
    assert obj["spec"]["importCredentialsSecret"] == {"name": f"antre-{process}-broker"}


def check_process_permission(obj, process):
    assert obj["spec"]["userReference"] == {"name": f"antre-{process}"}
    rights = broker.permissions(process)
    if obj["kind"] == "Permission":
        assert obj["spec"]["permissions"] == {k: rights[k] for k in ("configure", "write", "read")}
    else:
        assert obj["spec"]["permissions"] in rights["topic"]


def check_topology_user(obj):
    cluster_reference(obj)
    if process_of(obj):
        return check_process_user(obj, process_of(obj))
    assert obj["metadata"]["name"] == f"ministry-{ministry_of(obj)}"
    assert not obj["spec"].get("tags"), "a ministry's user has no management tags"


def check_topology_permission(obj):
    # permissions.{configure,write,read} are strings; exactly one of user / userReference.
    cluster_reference(obj)
    required(obj, "spec.vhost")
    assert bool(obj["spec"].get("user")) != bool(obj["spec"].get("userReference")), "user or userReference"
    if process_of(obj):
        return check_process_permission(obj, process_of(obj))
    name = ministry_of(obj)
    own = rf"^ministry\.{name}\..*"
    permissions = required(obj, "spec.permissions")
    assert permissions["configure"] == own and permissions["write"] == own, permissions
    assert permissions["read"] == rf"^(ministry\.{name}\..*|antre\.integration)$", permissions


def check_topology_topic_permission(obj):
    # permissions.exchange is required.
    cluster_reference(obj)
    required(obj, "spec.vhost")
    assert bool(obj["spec"].get("user")) != bool(obj["spec"].get("userReference")), "user or userReference"
    required(obj, "spec.permissions.exchange")
    if process_of(obj):
        return check_process_permission(obj, process_of(obj))
    permissions = required(obj, "spec.permissions")
    assert permissions["exchange"] == "antre.integration" and permissions["write"] == "^$", permissions
    assert permissions["read"].startswith(r"^id\.go\.imigrasi\.antre"), permissions


def check_topology_exchange(obj):
    cluster_reference(obj)
    assert required(obj, "spec.name").startswith(f"ministry.{ministry_of(obj)}.")
    assert obj["spec"].get("type", "direct") in ("direct", "fanout", "topic", "headers")


def check_topology_queue(obj):
    # spec.name is required; the type and arguments cannot change once declared (the operator refuses it).
    cluster_reference(obj)
    assert required(obj, "spec.name").startswith(f"ministry.{ministry_of(obj)}.")
    assert obj["spec"].get("type") == "quorum" and obj["spec"].get("durable") is True, obj["spec"]
    for value in (obj["spec"].get("arguments") or {}).values():
        assert isinstance(value, (str, int, bool)), value


def check_topology_binding(obj):
    cluster_reference(obj)
    source, destination = required(obj, "spec.source"), required(obj, "spec.destination")
    assert obj["spec"].get("destinationType") in ("queue", "exchange"), obj["spec"]
    assert destination.startswith(f"ministry.{ministry_of(obj)}.")
    assert source in ("antre.integration", f"ministry.{ministry_of(obj)}.dlx"), source


# cert-manager (cert-manager.io/v1): an Issuer needs exactly one of its kinds (selfSigned, ca, acme, vault,
# venafi); a Certificate requires secretName and issuerRef.name, and Antre's must name what it serves.
def check_cert_manager_issuer(obj):
    kinds = [k for k in ("selfSigned", "ca", "acme", "vault", "venafi") if k in obj["spec"]]
    assert len(kinds) == 1, kinds
    if kinds == ["ca"]:
        required(obj, "spec.ca.secretName")


def check_cert_manager_certificate(obj):
    required(obj, "spec.secretName")
    required(obj, "spec.issuerRef.name")
    assert obj["spec"].get("isCA") or required(obj, "spec.dnsNames"), "a server certificate names its hosts"


OPERATOR_KINDS = {
    ("cert-manager.io/v1", "Issuer"): check_cert_manager_issuer,
    ("cert-manager.io/v1", "Certificate"): check_cert_manager_certificate,
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): check_rabbitmq_cluster,
    ("postgresql.cnpg.io/v1", "Cluster"): check_cnpg_cluster,
    ("postgresql.cnpg.io/v1", "Pooler"): check_cnpg_pooler,
    ("minio.min.io/v2", "Tenant"): check_minio_tenant,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): check_service_monitor,
    ("monitoring.coreos.com/v1", "PodMonitor"): check_pod_monitor,
    ("monitoring.coreos.com/v1", "PrometheusRule"): check_prometheus_rule,
    ("keda.sh/v1alpha1", "ScaledObject"): check_keda_scaled_object,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): check_keda_trigger_authentication,
    ("rabbitmq.com/v1beta1", "User"): check_topology_user,
    ("rabbitmq.com/v1beta1", "Permission"): check_topology_permission,
    ("rabbitmq.com/v1beta1", "TopicPermission"): check_topology_topic_permission,
    ("rabbitmq.com/v1beta1", "Exchange"): check_topology_exchange,
    ("rabbitmq.com/v1beta1", "Queue"): check_topology_queue,
    ("rabbitmq.com/v1beta1", "Binding"): check_topology_binding,
}


def test_schemas_are_bundled_for_the_versions_we_support():
    """Offline validation needs both versions' schemas in the installed package."""
    bundled = kubernetes_validate.utils.all_versions()
    assert VERSIONS[0] in bundled, bundled
    assert Version(VERSIONS[1]) > Version(VERSIONS[0])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_builtin_object_validates_strictly(rendered, overlay):
    failures, checked = [], 0
    for obj in rendered[overlay]:
        if (obj["apiVersion"], obj["kind"]) in OPERATOR_KINDS:
            continue
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                failures.append(f"{obj['apiVersion']} {obj['kind']}: no schema in Kubernetes {version}")
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                failures.append(f"{obj['kind']}/{obj['metadata']['name']} @ {version}: {path}: {e.message}")
        checked += 1
    assert not failures, "\n".join(failures)
    assert checked >= 40, checked


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_operator_object_is_known_and_has_its_required_fields(rendered, overlay):
    seen = set()
    for obj in rendered[overlay]:
        key = (obj["apiVersion"], obj["kind"])
        if key in OPERATOR_KINDS:
            OPERATOR_KINDS[key](obj)
            seen.add(key)
    assert seen == set(OPERATOR_KINDS), set(OPERATOR_KINDS) - seen


def test_the_validator_rejects_what_kubernetes_would(rendered):
    """Guard against a vacuous validator: a misspelt field and a wrong type must both fail."""
    deployment = copy.deepcopy(of_kind(rendered["prod"], "Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)
    hpa = copy.deepcopy(of_kind(rendered["prod"], "HorizontalPodAutoscaler")[0])
    hpa["spec"]["maxReplicas"] = "twelve"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, VERSIONS[-1], strict=True)


def test_operator_checks_reject_missing_required_fields(rendered):
    cluster = copy.deepcopy(of_kind(rendered["prod"], "Cluster")[0])
    del cluster["spec"]["instances"]
    with pytest.raises(AssertionError):
        check_cnpg_cluster(cluster)
    permission = copy.deepcopy(of_kind(rendered["prod"], "Permission")[0])
    permission["spec"]["permissions"]["read"] = ".*"
    with pytest.raises(AssertionError):
        check_topology_permission(permission)
    queue = copy.deepcopy(of_kind(rendered["prod"], "Queue")[0])
    del queue["spec"]["rabbitmqClusterReference"]
    with pytest.raises(AssertionError):
        check_topology_queue(queue)
    tenant = copy.deepcopy(of_kind(rendered["prod"], "Tenant")[0])
    del tenant["spec"]["pools"][0]["volumesPerServer"]
    with pytest.raises(AssertionError):
        check_minio_tenant(tenant)
    scaled = copy.deepcopy(named(rendered["prod"], "ScaledObject", "gateway"))
    del scaled["spec"]["triggers"][1]["metadata"]["timezone"]
    with pytest.raises(AssertionError):
        check_keda_scaled_object(scaled)
    scaled = copy.deepcopy(named(rendered["prod"], "ScaledObject", "gateway"))
    del scaled["spec"]["scaleTargetRef"]
    with pytest.raises(AssertionError):
        check_keda_scaled_object(scaled)


def test_the_base_needs_no_operator_so_every_dependency_can_be_swapped():
    """The base alone (what an environment with managed RabbitMQ, PostgreSQL and S3 starts from) renders,
    validates, and holds no operator resource: each of those comes from a component."""
    objects = render(K8S / "base")
    assert {o["kind"] for o in objects} >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert not [o for o in objects if (o["apiVersion"], o["kind"]) in OPERATOR_KINDS]
    for obj in objects:
        kubernetes_validate.validate(obj, VERSIONS[-1], strict=True)
    for component in ("rabbitmq", "postgres", "minio", "monitoring", "keda", "ministries"):
        text = (K8S / "components" / component / "kustomization.yaml").read_text()
        assert "kind: Component" in text, component
