"""A broker user per process with least rights, and AMQP over TLS only (issue 17, docs/security.md)."""

import subprocess
import sys

import pytest
import yaml
from k8s_manifests import K8S, OVERLAYS, PROCESSES, REPO, named, of_kind, pod_spec

from antre_common import broker


def test_users_yaml_is_what_antre_common_broker_generates():
    generated = subprocess.run(
        [sys.executable, "-m", "antre_common.broker"], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert (K8S / "components/rabbitmq/users.yaml").read_text() == generated, "regenerate users.yaml"
    assert list(yaml.safe_load_all(generated)) == broker.k8s_objects()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_has_its_own_user_with_its_own_rights(rendered, overlay):
    objects = rendered[overlay]
    assert set(broker.PROCESSES) == set(PROCESSES)
    for process in PROCESSES:
        user = named(objects, "User", f"antre-{process}")
        assert user["spec"]["importCredentialsSecret"]["name"] == f"antre-{process}-broker"
        rights = named(objects, "Permission", f"antre-{process}")["spec"]["permissions"]
        assert rights == {k: broker.permissions(process)[k] for k in ("configure", "write", "read")}
        assert rights["configure"] != ".*" and rights["write"] != ".*" and rights["read"] != ".*"
        topic = named(objects, "TopicPermission", f"antre-{process}")["spec"]["permissions"]
        assert topic["exchange"] == "nameko-rpc" and topic == broker.permissions(process)["topic"][0]
        container = pod_spec(named(objects, "Deployment", process))["containers"][0]
        amqp = next(e for e in container["env"] if e["name"] == "AMQP_URI")
        assert amqp["valueFrom"]["secretKeyRef"] == {"name": f"antre-{process}", "key": "AMQP_URI"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_amqp_is_spoken_over_tls_only(rendered, overlay):
    objects = rendered[overlay]
    (cluster,) = of_kind(objects, "RabbitmqCluster")
    assert cluster["spec"]["tls"] == {"secretName": "antre-rabbitmq-tls", "disableNonTLSListeners": True}
    certificate = named(objects, "Certificate", "antre-rabbitmq-tls")["spec"]
    assert certificate["secretName"] == "antre-rabbitmq-tls" and "antre-rabbitmq" in certificate["dnsNames"]
    for process in PROCESSES:
        spec = pod_spec(named(objects, "Deployment", process))
        container = spec["containers"][0]
        ssl = yaml.safe_load(next(e["value"] for e in container["env"] if e["name"] == "AMQP_SSL"))
        assert ssl["cert_reqs"] == 2 and ssl["server_hostname"] == "antre-rabbitmq"  # CERT_REQUIRED, host checked
        mount = next(m for m in container["volumeMounts"] if m["name"] == "rabbitmq-ca")
        assert ssl["ca_certs"] == mount["mountPath"] + "/ca.crt"
        volume = next(v for v in spec["volumes"] if v["name"] == "rabbitmq-ca")
        assert volume["secret"] == {"secretName": "antre-rabbitmq-tls", "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    for policy in of_kind(objects, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []) + policy["spec"].get("egress", []):
            assert 5672 not in [p.get("port") for p in rule.get("ports", [])], policy["metadata"]["name"]
