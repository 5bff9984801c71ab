"""The calling service comes from the broker-validated AMQP ``user_id`` (antre_common.rpc.CallerRpc), the
person from the access token in the context (antre_common.auth); never from a header a caller wrote."""

import uuid

import amqp
import pytest
from kombu import Connection, Exchange
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from antre_common.auth import ACCESS_TOKEN_KEY, CALLER_KEY, Caller
from antre_common.rpc import ServiceRpc, rpc


class Callee:
    name = "callee"
    caller = Caller()

    @rpc
    def who(self):
        try:
            person = self.caller.person().user_id
        except Exception as exc:  # noqa: BLE001 - the test reads which refusal it was
            person = type(exc).__name__
        return {"service": self.caller.service, "person": person}


class Front:
    name = "front"
    callee = ServiceRpc("callee")

    @rpc
    def ask(self):
        return self.callee.who()


@pytest.fixture
def running(container_factory, rabbit_config, test_tokens):
    config = {**rabbit_config, **test_tokens.config}
    for cls in (Callee, Front):
        container_factory(cls, config).start()
    return config


def test_the_callee_learns_the_callers_broker_login_and_the_verified_person(running, test_tokens):
    person = {"user_id": str(uuid.uuid4()), "role": "citizen"}
    with ClusterRpcProxy(running, context_data={**test_tokens.context(person), CALLER_KEY: "gateway"}) as bus:
        # front -> callee: the service is front's login (the test broker's "guest"), not the header's "gateway"
        assert bus.front.ask() == {"service": "guest", "person": person["user_id"]}
        # straight from a standalone proxy: no user_id at all, so no service; the header is dropped
        assert bus.callee.who() == {"service": None, "person": person["user_id"]}
    with ClusterRpcProxy(running, context_data={ACCESS_TOKEN_KEY: "not.a.token"}) as bus:
        assert bus.callee.who()["person"] == "Unauthenticated"


def test_a_request_claiming_another_login_is_refused_by_the_broker(running):
    with Connection(running["AMQP_URI"]) as conn:
        producer = conn.Producer(exchange=Exchange("nameko-rpc", type="topic", durable=True, no_declare=True))
        with pytest.raises(amqp.exceptions.PreconditionFailed):
            producer.publish({"args": [], "kwargs": {}}, routing_key="callee.who", user_id="notification")
            conn.drain_events(timeout=2)


def test_a_hooked_entrypoint_sees_what_its_context_says(container_factory, rabbit_config):
    container = container_factory(Callee, rabbit_config)
    container.start()
    with entrypoint_hook(container, "who", context_data={CALLER_KEY: "documents"}) as who:
        assert who()["service"] == "documents"  # in-process tests stand in for the broker
