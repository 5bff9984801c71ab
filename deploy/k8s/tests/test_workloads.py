"""What every environment must hold over the rendered objects: probes, limits, a restricted security
context, pinned images, an HPA and a PDB per Deployment, migrations before rollout, secrets only by
reference, and only the gateway reachable from outside."""

import re

import pytest
from k8s_manifests import DB_SERVICES, OVERLAYS, PROCESSES, named, of_kind, pod_spec, selects

WORKLOAD_KINDS = ("Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob", "Pod")
DATABASE_URL = "postgresql+psycopg2://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_NAME)"


def workloads(objects):
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


def containers(obj, init=True):
    spec = pod_spec(obj)
    return spec["containers"] + (spec.get("initContainers", []) if init else [])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_deployment_per_process_and_nothing_else_runs_pods(rendered, overlay):
    objects = rendered[overlay]
    assert sorted(d["metadata"]["name"] for d in of_kind(objects, "Deployment")) == sorted(PROCESSES)
    assert sorted(j["metadata"]["name"] for j in of_kind(objects, "Job")) == sorted(f"{s}-migrate" for s in DB_SERVICES)
    assert not [o for o in objects if o["kind"] in ("StatefulSet", "DaemonSet", "CronJob", "Pod")]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes(rendered, overlay):
    for deployment in of_kind(rendered[overlay], "Deployment"):
        for c in pod_spec(deployment)["containers"]:
            where = f"{overlay} {deployment['metadata']['name']}/{c['name']}"
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", where
            assert c["startupProbe"]["httpGet"]["path"] == "/healthz", where
            ports = {p["name"] for p in c["ports"]}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert c[probe]["httpGet"]["port"] in ports, where
            # /readyz waits up to 3 s on each dependency; a shorter probe timeout would flap.
            assert c["readinessProbe"]["timeoutSeconds"] > 3, where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(rendered, overlay):
    for obj in workloads(rendered[overlay]):
        for c in containers(obj):
            where = f"{overlay} {obj['kind']}/{obj['metadata']['name']}/{c['name']}"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"].get(kind, {})), where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_meets_the_restricted_pod_security_standard(rendered, overlay):
    for obj in workloads(rendered[overlay]):
        spec = pod_spec(obj)
        where = f"{overlay} {obj['kind']}/{obj['metadata']['name']}"
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("runAsUser", 0) != 0, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert spec.get("automountServiceAccountToken") is False, where
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), where
        for volume in spec.get("volumes", []):
            assert "hostPath" not in volume, where
        for c in containers(obj):
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, (where, c["name"])
            assert sc.get("runAsUser", pod.get("runAsUser")) != 0, (where, c["name"])
            assert sc.get("allowPrivilegeEscalation") is False, (where, c["name"])
            assert sc.get("readOnlyRootFilesystem") is True, (where, c["name"])
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], (where, c["name"])
            assert not sc.get("capabilities", {}).get("add"), (where, c["name"])
            assert not sc.get("privileged"), (where, c["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned_and_never_latest(rendered, overlay):
    images = []
    for obj in rendered[overlay]:
        if obj["kind"] in WORKLOAD_KINDS:
            images += [c["image"] for c in containers(obj)]
        elif obj["kind"] == "RabbitmqCluster":
            images.append(obj["spec"]["image"])
        elif obj["kind"] == "Cluster":
            images.append(obj["spec"]["imageName"])
        elif obj["kind"] == "Tenant":
            images.append(obj["spec"]["image"])
    assert len(images) >= len(PROCESSES)
    for image in images:
        name, _, tag = image.partition("@")[0].rpartition(":")
        assert name and "/" not in tag, f"{overlay}: {image} has no tag"
        assert tag != "latest" and not tag.startswith("latest"), f"{overlay}: {image}"
    if overlay == "prod":
        # Production runs released versions from the registry, never a developer's :dev build.
        ours = [i for i in images if "/antre/" in i]
        assert ours and all(not i.endswith(":dev") and i.startswith("registry.") for i in ours), ours


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_an_hpa_and_a_pdb(rendered, overlay):
    objects = rendered[overlay]
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"
        hpas = [h for h in of_kind(objects, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
        assert len(hpas) == 1 and hpas[0]["spec"]["scaleTargetRef"]["kind"] == "Deployment", name
        hpa = hpas[0]["spec"]
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"], name
        pdbs = [p for p in of_kind(objects, "PodDisruptionBudget") if selects(p["spec"]["selector"], labels)]
        assert len(pdbs) == 1, name
        if overlay == "prod":
            # A PDB that allows one pod down must still leave one up; draining must never be blocked.
            assert hpa["minReplicas"] >= 2, name
            assert pdbs[0]["spec"].get("maxUnavailable") == 1, name
        if overlay == "dev":
            assert hpa["minReplicas"] == hpa["maxReplicas"] == 1, name


def test_prod_spreads_every_deployment_over_nodes_and_zones(rendered):
    for deployment in of_kind(rendered["prod"], "Deployment"):
        spec = pod_spec(deployment)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        terms = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        assert any(
            t["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
            and selects(t["podAffinityTerm"]["labelSelector"], labels)
            for t in terms
        ), deployment["metadata"]["name"]
        spread = spec["topologySpreadConstraints"]
        assert any(
            s["topologyKey"] == "topology.kubernetes.io/zone" and selects(s["labelSelector"], labels) for s in spread
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_database_service_migrates_before_it_rolls(rendered, overlay):
    objects = rendered[overlay]
    for service in DB_SERVICES:
        deployment = named(objects, "Deployment", service)
        job = named(objects, "Job", f"{service}-migrate")
        image = pod_spec(deployment)["containers"][0]["image"]
        migrate = pod_spec(job)["containers"][0]
        assert migrate["image"] == image, "the Job must migrate to the schema of the image that rolls out"
        assert migrate["command"] == ["python", "-m", "antre_common.migrations", "/app"]
        gate = [c for c in pod_spec(deployment).get("initContainers", []) if c["name"] == "wait-for-migrations"]
        assert gate and gate[0]["image"] == image, f"{service}: new pods must wait for the migration"
        assert "alembic current" in gate[0]["command"][-1] and "alembic heads" in gate[0]["command"][-1]
        serving = pod_spec(deployment)["containers"][0]
        for container in (migrate, gate[0], serving):
            env = {e["name"]: e for e in container["env"]}
            # psycopg2 named explicitly: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3.
            assert env["DATABASE_URL"]["value"] == DATABASE_URL, container["name"]
            for var in re.findall(r"\$\((\w+)\)", DATABASE_URL):
                if container is serving and var == "DB_HOST":
                    # The serving pods go through the service's PgBouncer, which the Secret's user reaches.
                    assert env[var]["value"] == named(objects, "Pooler", f"{service}-db-pooler-rw")["metadata"]["name"]
                    continue
                assert env[var]["valueFrom"]["secretKeyRef"]["name"] == f"{service}-db-app", (container["name"], var)
            names = list(env)
            assert all(names.index(v) < names.index("DATABASE_URL") for v in re.findall(r"\$\((\w+)\)", DATABASE_URL))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_carries_a_value(rendered, overlay):
    objects = rendered[overlay]
    for secret in of_kind(objects, "Secret"):
        assert not secret.get("data") and not secret.get("stringData"), secret["metadata"]["name"]
    for obj in workloads(objects):
        for c in containers(obj):
            from_secrets = {e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
            for env in c.get("env", []):
                # Anything that looks like a credential comes from a Secret, never inline: either a
                # secretKeyRef, or a value made only of $(VAR)s that come from Secrets around non-secret text.
                if any(word in env["name"] for word in ("PASSWORD", "SECRET", "KEY", "URI", "DATABASE_URL")):
                    if "value" in env:
                        userinfo = env["value"].split("://", 1)[1].split("@", 1)[0]
                        assert re.fullmatch(r"\$\((\w+)\):\$\((\w+)\)", userinfo), env
                        assert set(re.findall(r"\$\((\w+)\)", userinfo)) <= from_secrets, env
                    else:
                        assert "secretKeyRef" in env["valueFrom"], (obj["metadata"]["name"], env)
    for config in of_kind(objects, "ConfigMap"):
        for key in config.get("data", {}):
            assert not any(w in key for w in ("PASSWORD", "SECRET_KEY", "PRIVATE", "DATA_KEYS", "LOOKUP_KEY")), key


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_is_reachable_from_outside(rendered, overlay):
    objects = rendered[overlay]
    for service in of_kind(objects, "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    backends = {
        path["backend"]["service"]["name"]
        for ingress in of_kind(objects, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    policies = of_kind(objects, "NetworkPolicy")
    deny = named(objects, "NetworkPolicy", "antre-default-deny")["spec"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"} and not deny.get("ingress") and not deny.get("egress")
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deny["podSelector"], labels), f"{name} escapes the default deny"
        sources = set()
        for policy in policies:
            if selects(policy["spec"]["podSelector"], labels):
                for rule in policy["spec"].get("ingress", []):
                    for peer in rule.get("from", [{}]):
                        namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
                        pods = peer.get("podSelector", {}).get("matchLabels", {})
                        if namespace or not pods:
                            sources.add(namespace.get("kubernetes.io/metadata.name", "?"))
                        else:  # pods of this namespace: Antre's own, by name
                            sources.add("pod/" + pods.get("app.kubernetes.io/name", "?"))
        expected = {
            "gateway": {"monitoring", "ingress-nginx"},
            "documents": {"monitoring", "pod/gateway"},  # the upload stream (documents-from-gateway)
        }.get(name, {"monitoring"})
        assert sources == expected, f"{name} accepts traffic from {sources}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_has_a_pod_monitor_on_its_internal_port_and_no_service_routes_that_port(rendered, overlay):
    """Issue 17: /metrics and the probes are on the internal port; Services (and so the Ingress) route the
    public one alone, and Prometheus scrapes the pods directly. Only what something connects to over HTTP
    has a Service: the gateway (the Ingress) and documents (the gateway's file streams); the other services
    are reached through RabbitMQ alone."""
    objects = rendered[overlay]
    monitors = of_kind(objects, "PodMonitor")
    antre = [s for s in of_kind(objects, "Service") if s["metadata"]["name"] in PROCESSES]
    assert sorted(s["metadata"]["name"] for s in antre) == ["documents", "gateway"]
    for service in antre:
        ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        assert ports == {"http": PROCESSES[service["metadata"]["name"]]}
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    for name in PROCESSES:
        labels = named(objects, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        mine = [m for m in monitors if selects(m["spec"]["selector"], labels)]
        assert len(mine) == 1, name
        assert [e["port"] for e in mine[0]["spec"]["podMetricsEndpoints"]] == ["internal"]
        assert mine[0]["spec"]["podMetricsEndpoints"][0]["path"] == "/metrics"
    assert {m["metadata"]["name"] for m in of_kind(objects, "ServiceMonitor")} <= {"antre-rabbitmq"}  # its own
    scrape = named(objects, "NetworkPolicy", "antre-metrics-from-prometheus")["spec"]["ingress"]
    assert [p["port"] for rule in scrape for p in rule["ports"]] == ["internal"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_reference_and_port_agree_with_the_process(rendered, overlay):
    """Container ports = the ports in the process's ConfigMap (public = the Service's port; internal = public
    + 100, the probes'); each ConfigMap is mounted."""
    objects = rendered[overlay]
    configs = {c["metadata"]["name"]: c for c in of_kind(objects, "ConfigMap")}
    for name, port in PROCESSES.items():
        container = pod_spec(named(objects, "Deployment", name))["containers"][0]
        assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": port, "internal": port + 100}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] == "internal", (name, probe)
        (ref,) = [e["configMapRef"]["name"] for e in container["envFrom"]]
        assert ref in configs, f"{name} mounts {ref}, which is not rendered"
        assert configs[ref]["data"]["WEB_SERVER_ADDRESS"] == f"0.0.0.0:{port}"
        assert configs[ref]["data"]["INTERNAL_SERVER_ADDRESS"] == f"0.0.0.0:{port + 100}"
