"""A broker user per process, with the least RabbitMQ rights it needs (docs/security.md).

One table says which services each process calls (RPC), whose events it handles and which exchanges it
publishes to; ``permissions`` turns it into RabbitMQ's configure/write/read regexes and the topic
permissions of nameko's RPC exchange, where the routing key names the callee: a process may publish only
requests to the services it calls (and replies), and bind only its own RPC queue and reply queues, so it
can neither call nor overhear anyone else. ``tests/unit/test_broker_permissions.py`` checks the table
against the code; the development stack (``antre_dev.broker``) and Kubernetes (``deploy/k8s``, generated
by ``python -m antre_common.broker``) apply it.

nameko's names: RPC exchange ``nameko-rpc`` (topic, routing key ``<service>.<method>``), a service's RPC
queue ``rpc-<service>`` bound with ``<service>.*``, reply queues ``rpc.reply-<service>-<uuid>`` bound with
the uuid, events on ``<service>.events`` consumed from ``evt-<source>-<type>--<service>.<method>[-<id>]``.
"""

import re
import sys

RPC_EXCHANGE = "nameko-rpc"
INTEGRATION_EXCHANGE = "antre.integration"  # antre_common.outbox: the exchange other ministries bind to
PROCESSES = ("gateway", "identity", "scheduling", "documents", "notification", "payment", "integration")

# process: (services it calls, services whose events it handles, extra exchanges it publishes to)
CALLS = {
    "gateway": ("identity", "scheduling", "documents", "notification", "payment", "integration"),
    "identity": (),
    "scheduling": ("identity", "payment"),
    "documents": ("scheduling",),
    "notification": ("identity", "scheduling"),
    "payment": (),
    "integration": ("scheduling",),
}
HANDLES = {
    "gateway": ("identity", "scheduling"),  # identity: sessions_revoked (the staff revocation set)
    "identity": ("documents",),  # document_viewed, into the audit log
    "scheduling": ("identity", "payment", "scheduling"),
    "documents": ("scheduling",),
    "notification": ("documents", "identity", "payment", "scheduling"),
    "payment": ("scheduling",),
    "integration": ("scheduling",),
}
# Besides its own <service>.events: the CloudEvents other ministries read (each service's events.py writes them
# to its outbox with Database.add_integration_event).
PUBLISHES = {s: (INTEGRATION_EXCHANGE,) for s in ("scheduling", "payment", "integration")}
# Queues of a process's own beyond nameko's names, and the exchanges they are bound to (integration's replay
# store reads antre.integration: integration.replay.QUEUE).
OWN_QUEUES = {"integration": ("integration.replay",)}
READS = {"integration": (INTEGRATION_EXCHANGE,)}
# Where a process may bind to only some events of another's exchange (topic permissions on the routing key):
# the internet-facing gateway hears of ended staff sessions, and nothing else identity publishes.
ONLY_EVENTS = {"gateway": {"identity": ("sessions_revoked",)}}
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _lit(name):
    """A name as a regex matching only itself (our names hold letters, digits, ``_``, ``-`` and dots)."""
    assert re.fullmatch(r"[a-z0-9_.-]+", name), name
    return name.replace(".", "\\.")


def _any(names):
    return "|".join(_lit(n) for n in names)


def permissions(process):
    """``{"configure", "write", "read", "topic": [{"exchange", "write", "read"}]}`` for one process."""
    own_exchanges = [] if process == "gateway" else [f"{process}.events", *PUBLISHES.get(process, ())]
    bound_from = [f"{s}.events" for s in HANDLES[process]] + list(READS.get(process, ()))  # its queues' sources
    own_queues = [f"rpc-{process}", f"rpc\\.reply-{process}-{UUID}", f"evt-.+--{process}\\..+"]
    queues = "|".join(own_queues + [_lit(q) for q in OWN_QUEUES.get(process, ())])
    declared = _any(dict.fromkeys([RPC_EXCHANGE, *own_exchanges, *bound_from]))  # nameko and kombu declare them
    calls = _any(CALLS[process])
    rpc_write = f"^(({calls})\\.[a-z_]+|{UUID})$" if calls else f"^{UUID}$"
    return {
        "configure": f"^({declared}|{queues})$",
        "write": f"^({_any([RPC_EXCHANGE, *own_exchanges])}|{queues})$",  # publish; bind own queues
        "read": f"^({_any(dict.fromkeys([RPC_EXCHANGE, *bound_from]))}|{queues})$",  # consume own; bind from
        "topic": [{"exchange": RPC_EXCHANGE, "write": rpc_write, "read": f"^({process}\\.\\*|{UUID})$"}]
        + [
            {"exchange": f"{source}.events", "write": "^$", "read": f"^({_any(events)})$"}
            for source, events in ONLY_EVENTS.get(process, {}).items()
        ],  # fmt: skip
    }


def user_name(process, prefix=None):
    """The broker login of a process: ``documents``, or ``<prefix>.documents`` where several stacks share a
    broker (``antre_common.auth.service_of`` reads the service back from it)."""
    return f"{prefix}.{process}" if prefix else process


CLUSTER = {"name": "antre-rabbitmq"}
PROCESS_LABEL = "antre.imigrasi.go.id/broker-user"


def k8s_objects(vhost="/"):
    """The Messaging Topology Operator's objects for every process: a ``User`` whose name and password come
    from the Secret ``antre-<process>-broker`` (keys username, password), its ``Permission`` and
    ``TopicPermission`` (deploy/k8s/components/rabbitmq/users.yaml is this, written out)."""
    objects = []
    for process in PROCESSES:
        rights = permissions(process)
        meta = {"name": f"antre-{process}", "labels": {PROCESS_LABEL: process}}
        user_ref = {"name": f"antre-{process}"}
        objects.append({"apiVersion": "rabbitmq.com/v1beta1", "kind": "User", "metadata": meta,
                        "spec": {"tags": [], "importCredentialsSecret": {"name": f"antre-{process}-broker"},
                                 "rabbitmqClusterReference": CLUSTER}})  # fmt: skip
        objects.append({"apiVersion": "rabbitmq.com/v1beta1", "kind": "Permission", "metadata": meta,
                        "spec": {"vhost": vhost, "userReference": user_ref,
                                 "permissions": {k: rights[k] for k in ("configure", "write", "read")},
                                 "rabbitmqClusterReference": CLUSTER}})  # fmt: skip
        for n, topic in enumerate(rights["topic"]):
            name = meta["name"] if n == 0 else f"{meta['name']}-{n}"
            objects.append({"apiVersion": "rabbitmq.com/v1beta1", "kind": "TopicPermission",
                            "metadata": {**meta, "name": name},
                            "spec": {"vhost": vhost, "userReference": user_ref, "permissions": topic,
                                     "rabbitmqClusterReference": CLUSTER}})  # fmt: skip
    return objects


HEADER = """\
# Generated by `python -m antre_common.broker > deploy/k8s/components/rabbitmq/users.yaml`; do not edit by
# hand (deploy/k8s/tests/test_broker_users.py fails when it differs from antre_common/broker.py).
# A broker user per process with only its own queues, the exchanges it uses, and topic permissions on
# nameko-rpc (it may publish only requests to the services it calls, and bind only its own RPC and reply
# queues). Names and passwords: Secret antre-<process>-broker (username, password), docs/security.md.
"""


if __name__ == "__main__":  # python -m antre_common.broker > deploy/k8s/components/rabbitmq/users.yaml
    import yaml

    sys.stdout.write(HEADER)
    sys.stdout.write(yaml.safe_dump_all(k8s_objects(), sort_keys=False, width=200))
