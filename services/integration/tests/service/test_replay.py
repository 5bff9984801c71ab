"""The replay: every CloudEvent once, in order, with a cursor that never skips an event committed late,
kept for the retention period; clients, tokens and every documented error."""

import json
from datetime import timedelta

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy import text

from antre_common.envelope import utcnow
from antre_common.testing import wait_until

from .conftest import ADMIN


def client_token(rpc_proxy, name="kemenkes"):
    client = rpc_proxy.create_client(name)
    return client, rpc_proxy.issue_token(client["client_id"], client["client_secret"])["access_token"]


def read(rpc_proxy, token, want, **kwargs):
    """A page with ``want`` events: the horizon is cluster-wide, so another database's transaction that is
    open at that moment may delay (never reorder) what a reader sees."""

    def page():
        answer = rpc_proxy.read_events(token, **kwargs)
        return answer if len(answer["events"]) == want else None

    return wait_until(page, 10, what=f"{want} events")


def stored(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM stored_event")).scalar()


def test_each_event_is_kept_once_and_read_in_order_with_a_cursor(container, relay, rpc_proxy, engine, world):
    _, token = client_token(rpc_proxy)
    events = [world.cloud_event() for _ in range(5)]
    for event in events:
        with entrypoint_waiter(container, "on_integration_event"):
            relay.publish(event)
    with entrypoint_waiter(container, "on_integration_event"):
        relay.publish(events[1])  # a redelivery: the same id again
    assert stored(engine) == 5

    first = read(rpc_proxy, token, 2, limit=2)
    assert [e["id"] for e in first["events"]] == [e["id"] for e in events[:2]]
    rest = read(rpc_proxy, token, 3, after=first["next"], limit=10)
    assert [e["id"] for e in rest["events"]] == [e["id"] for e in events[2:]]
    assert rest["events"][0] == events[2]  # the CloudEvent as published
    idle = rpc_proxy.read_events(token, after=rest["next"])
    assert idle == {"events": [], "next": rest["next"]}
    late = world.cloud_event()
    with entrypoint_waiter(container, "on_integration_event"):
        relay.publish(late)
    assert [e["id"] for e in read(rpc_proxy, token, 1, after=rest["next"])["events"]] == [late["id"]]


def test_a_reader_never_skips_an_event_that_commits_after_a_later_one(container, rpc_proxy, engine, world):
    _, token = client_token(rpc_proxy)
    early, late = world.cloud_event(), world.cloud_event()
    insert = text("INSERT INTO stored_event (event_id, type, event, received_at) VALUES (:id, :type, :event, now())")
    with engine.connect() as slow:
        slow_tx = slow.begin()
        slow.execute(insert, {"id": early["id"], "type": early["type"], "event": json.dumps(early)})  # seq n, open
        with engine.begin() as fast:
            fast.execute(insert, {"id": late["id"], "type": late["type"], "event": json.dumps(late)})  # seq n+1
        seqs = dict(slow.execute(text("SELECT event_id, seq FROM stored_event")).all())
        assert seqs[early["id"]] < seqs[late["id"]]
        # The later row is committed, but handing it out now would move the cursor past the open one.
        page = rpc_proxy.read_events(token)
        assert page["events"] == [] and page["next"] is None
        slow_tx.commit()
    page = read(rpc_proxy, token, 2)
    assert [e["id"] for e in page["events"]] == [early["id"], late["id"]]


def test_purged_cursor_is_gone_and_unknown_cursor_never_existed(container, relay, rpc_proxy, engine, world):
    _, token = client_token(rpc_proxy)
    for _ in range(3):
        with entrypoint_waiter(container, "on_integration_event"):
            relay.publish(world.cloud_event())
    first = read(rpc_proxy, token, 1, limit=1)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE stored_event SET received_at = :old WHERE event_id = :id"),
            {"old": utcnow() - timedelta(days=31), "id": first["events"][0]["id"]},
        )
    with entrypoint_hook(container, "purge") as purge:
        assert purge()["events"] == 1
    assert world.code_of(rpc_proxy.read_events, token, after=first["next"]) == "CURSOR_EXPIRED"
    assert len(read(rpc_proxy, token, 2)["events"]) == 2  # without a cursor: from the oldest kept
    tx, seq = first["next"].split("-")
    assert world.code_of(rpc_proxy.read_events, token, after=f"{tx}-{int(seq) + 1000}") == "CURSOR_NOT_FOUND"
    assert world.code_of(rpc_proxy.read_events, token, after="yesterday") == "VALIDATION_ERROR"
    assert world.code_of(rpc_proxy.read_events, token, limit=0) == "VALIDATION_ERROR"
    assert world.code_of(rpc_proxy.read_events, token, limit=1001) == "VALIDATION_ERROR"


def test_clients_secrets_tokens_rotation_and_revocation(container, rpc_proxy, world):
    client, token = client_token(rpc_proxy, "bps")
    assert "client_secret" not in rpc_proxy.list_clients()[0]
    code = world.code_of
    assert code(rpc_proxy.create_client, "bps") == "CONFLICT"
    assert code(rpc_proxy.create_client, "Not A Name!") == "VALIDATION_ERROR"
    assert code(rpc_proxy.issue_token, client["client_id"], "wrong") == "INVALID_CLIENT"
    assert code(rpc_proxy.issue_token, "00000000-0000-4000-8000-000000000000", "x") == "INVALID_CLIENT"
    assert code(rpc_proxy.issue_token, "not-a-uuid", "x") == "INVALID_CLIENT"
    assert code(rpc_proxy.read_events, "ait_forged") == "INVALID_TOKEN"
    assert code(rpc_proxy.read_events, None) == "INVALID_TOKEN"
    assert code(rpc_proxy.rotate_client, "00000000-0000-4000-8000-000000000000") == "CLIENT_NOT_FOUND"

    rotated = rpc_proxy.rotate_client(client["client_id"])
    assert rotated["client_secret"] != client["client_secret"]
    assert code(rpc_proxy.read_events, token) == "INVALID_TOKEN"  # tokens of the old secret stop at once
    assert code(rpc_proxy.issue_token, client["client_id"], client["client_secret"]) == "INVALID_CLIENT"
    token = rpc_proxy.issue_token(client["client_id"], rotated["client_secret"])["access_token"]
    assert rpc_proxy.read_events(token)["events"] == []

    assert rpc_proxy.revoke_client(client["client_id"])["status"] == "revoked"
    assert rpc_proxy.revoke_client(client["client_id"])["status"] == "revoked"  # idempotent
    assert code(rpc_proxy.read_events, token) == "INVALID_TOKEN"
    assert code(rpc_proxy.issue_token, client["client_id"], rotated["client_secret"]) == "CLIENT_REVOKED"
    assert code(rpc_proxy.rotate_client, client["client_id"]) == "CLIENT_REVOKED"


def test_what_is_not_a_cloud_event_is_dropped_not_requeued(container, relay, rpc_proxy, engine, world):
    bad = world.cloud_event()
    for body in ('{"no": "id"}', "[1, 2]"):
        with entrypoint_waiter(container, "on_integration_event"):
            relay.publish(bad, body=body)
    good = world.cloud_event()
    with entrypoint_waiter(container, "on_integration_event"):
        relay.publish(good)
    wait_until(lambda: stored(engine) == 1, 10, what="the good event stored")


def test_client_administration_needs_an_admins_token(config, container, test_tokens):
    """Issue 17: an ``actor_id`` argument is no authority; the admin's token in the RPC context is."""
    citizen = {"user_id": "0b0b0b0b-0000-4000-8000-0000000000c1", "role": "citizen"}
    contexts = {
        "no token": ({}, "Unauthenticated"),
        "a citizen": (test_tokens.context(citizen, caller=None), "NotThePerson"),
        "an expired admin": (test_tokens.context(ADMIN, caller=None, ttl=-60), "TokenExpired"),
    }
    for name, (context, refused) in contexts.items():
        with ClusterRpcProxy(config, context_data=context, timeout=30) as cluster:
            with pytest.raises(RemoteError) as error:
                cluster.integration.create_client("kemenkes")
            assert error.value.exc_type == refused, name
    with ClusterRpcProxy(config, context_data=test_tokens.context(ADMIN, caller=None), timeout=30) as cluster:
        with pytest.raises(RemoteError) as error:  # the admin's token, naming another actor
            cluster.integration.create_client("kemenkes", citizen["user_id"])
        assert error.value.exc_type == "NotThePerson"
        assert cluster.integration.create_client("kemenkes", ADMIN["user_id"])["name"] == "kemenkes"
