"""Finding 1 of issue 17 replayed on the bus of the running suite: every process logs in as its own broker
user (antre_dev.broker), services verify the person's token themselves and keep personal data to the
services that need it (docs/security.md). Each call here was answered before; each is refused now, and the
same reads through the gateway still work."""

import time
import uuid

import amqp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kombu import Connection, Exchange, Queue
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from antre_common.auth import ACCESS_TOKEN_KEY, CALLER_KEY
from documents import samples

from .people import admin_access_token
from .test_documents import book, stored_form, upload
from .tokens import bearer, citizen, mint


def as_process(stack, process, **context):
    """An RPC client on the bus with ``process``'s own broker login and ``user_id``, as its pods call (or a
    compromised one would)."""

    class Proxy(ClusterRpcProxy):
        class ServiceContainer(ClusterRpcProxy.ServiceContainer):
            service_name = process  # its reply queue is one of the process's own

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._proxy = Services(self._worker_ctx, self._reply_listener, stack.broker_users.login(process))

    uri = stack.broker_users.amqp_uri(process, stack.config.service_amqp_uri)
    return Proxy({"AMQP_URI": uri}, context_data=context, timeout=10)


class Services:
    def __init__(self, worker_ctx, reply_listener, user_id):
        self.worker_ctx, self.reply_listener, self.user_id = worker_ctx, reply_listener, user_id

    def __getattr__(self, service):
        return ServiceProxy(self.worker_ctx, service, self.reply_listener, user_id=self.user_id)


def refusal(exc):
    return exc.value.exc_type, exc.value.value


@pytest.fixture
def admin_id(stack, gateway):
    return jwt.decode(admin_access_token(stack, gateway), options={"verify_signature": False})["sub"]


def test_contact_data_answers_only_the_services_that_need_it(stack, gateway, admin_id):
    for process in ("gateway", "scheduling"):  # they call identity, but not for contact data: identity refuses
        with as_process(stack, process) as bus:
            with pytest.raises(RemoteError) as refused:
                bus.identity.get_contact(admin_id)
            assert refusal(refused)[0] == "CallerNotAllowed", process
            assert "admin@" not in refusal(refused)[1]
    for process in ("documents", "payment", "integration"):  # they never call identity: the broker refuses
        with as_process(stack, process) as bus:
            with pytest.raises(amqp.exceptions.AccessRefused):
                bus.identity.get_contact(admin_id)
    with as_process(stack, "notification") as bus:  # the one that sends messages
        assert bus.identity.get_contact(admin_id)["email"] == stack.env()["ANTRE_ADMIN_EMAIL"]
    with as_process(stack, "gateway") as bus:
        with pytest.raises(RemoteError) as refused:
            bus.identity.people([admin_id])  # scheduling's office day only
        assert refusal(refused)[0] == "CallerNotAllowed"
    # The stack's own login is no service of the suite, whatever its headers claim.
    with ClusterRpcProxy({"AMQP_URI": stack.config.service_amqp_uri}, context_data={CALLER_KEY: "notification"}) as bus:
        with pytest.raises(RemoteError) as refused:
            bus.identity.get_contact(admin_id)
        assert refusal(refused)[0] == "CallerNotAllowed"


def test_the_broker_refuses_a_forged_user_id(stack):
    """The calling service is the AMQP user_id, which RabbitMQ validates against the login: a process that
    claims to be notification has its channel closed and delivers nothing."""
    uri = stack.broker_users.amqp_uri("gateway", stack.config.service_amqp_uri)
    with Connection(uri) as conn:
        producer = conn.Producer(exchange=Exchange("nameko-rpc", type="topic", durable=True, no_declare=True))
        with pytest.raises(amqp.exceptions.PreconditionFailed):
            producer.publish(
                {"args": [str(uuid.uuid4())], "kwargs": {}},
                routing_key="identity.get_contact",
                user_id=stack.broker_users.login("notification"),
            )
            conn.drain_events(timeout=2)  # the broker's channel.close arrives after the publish


@pytest.mark.parametrize(
    "routing_key, exchange",
    [("identity.*", "nameko-rpc"), ("#", "nameko-rpc"), ("#", "identity.events")],
    ids=["identity-requests", "every-request", "identity-events"],
)
def test_the_gateway_login_cannot_overhear_anyone(stack, routing_key, exchange):
    """The internet-facing process has the narrowest rights: binding a queue of its own to others' requests
    or to events it does not handle is refused by the broker (topic and read permissions)."""
    uri = stack.broker_users.amqp_uri("gateway", stack.config.service_amqp_uri)
    with Connection(uri) as conn:
        queue = Queue(f"rpc.reply-gateway-{uuid.uuid4()}", Exchange(exchange, type="topic", no_declare=True),
                      routing_key=routing_key, auto_delete=True)  # fmt: skip
        with pytest.raises(amqp.exceptions.AccessRefused):
            queue(conn.channel()).declare()


def test_the_gateway_login_cannot_publish_events_or_call_what_it_does_not(stack):
    uri = stack.broker_users.amqp_uri("gateway", stack.config.service_amqp_uri)
    for exchange, routing_key in (("scheduling.events", "booking_created"), ("nameko-rpc", "housekeeping.x")):
        with Connection(uri) as conn:
            producer = conn.Producer(exchange=Exchange(exchange, type="topic", no_declare=True))
            with pytest.raises(amqp.exceptions.AccessRefused):
                producer.publish({"forged": True}, routing_key=routing_key)
                conn.drain_events(timeout=2)


def test_documents_believes_only_a_valid_token_of_the_person(stack, gateway):
    owner = citizen()
    code = book(stack, gateway, owner)
    scan = samples.pdf(3000)
    stored = upload(gateway, stack, owner, code, "ktp", scan)
    assert stored.status_code == 201, stored.text
    doc_id = stored.json()["document_id"]

    with as_process(stack, "gateway") as bus:  # the review's call: "role admin" as an argument
        with pytest.raises(IncorrectSignature):
            bus.documents.download_grant(doc_id, {"user_id": str(uuid.uuid4()), "role": "admin", "office_code": None})
        with pytest.raises(RemoteError) as refused:
            bus.documents.download_grant(doc_id)  # no token at all
        assert refusal(refused)[0] == "Unauthenticated"

    now = int(time.time())
    forged = {"sub": str(uuid.uuid4()), "role": "admin", "typ": "access", "iss": "antre-identity", "aud": "antre",
              "iat": now, "exp": now + 600}  # fmt: skip
    tokens = {
        "unsigned": (jwt.encode(forged, key=None, algorithm="none"), "Unauthenticated"),
        "other key": (jwt.encode(forged, Ed25519PrivateKey.generate(), algorithm="EdDSA"), "Unauthenticated"),
        "expired": (mint(stack, {"sub": forged["sub"], "role": "admin"}, ttl=-60), "TokenExpired"),
    }
    for name, (token, code_name) in tokens.items():
        with as_process(stack, "gateway", **{ACCESS_TOKEN_KEY: token}) as bus:
            with pytest.raises(RemoteError) as refused:
                bus.documents.download_grant(doc_id)
            assert refusal(refused)[0] == code_name, name
    # A valid admin token from another process than the gateway: content is the gateway's to serve, and no
    # other process may even send documents a request (documents' own check: its service test_zero_trust.py).
    admin = mint(stack, {"sub": forged["sub"], "role": "admin"})
    for process in ("scheduling", "notification", "identity"):
        with as_process(stack, process, **{ACCESS_TOKEN_KEY: admin}) as bus:
            with pytest.raises(amqp.exceptions.AccessRefused):
                bus.documents.download_grant(doc_id)

    # The legitimate path: the owner through the gateway, and another citizen still told 404.
    served = gateway.get(f"/api/v1/documents/{doc_id}/content", headers=bearer(stack, owner))
    assert served.status_code == 200 and served.content == stored_form(scan)  # the sanitised copy
    stranger = gateway.get(f"/api/v1/documents/{doc_id}/content", headers=bearer(stack, citizen()))
    assert stranger.status_code == 404
