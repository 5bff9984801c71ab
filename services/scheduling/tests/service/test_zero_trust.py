"""A citizen's call names its ``user_id``; scheduling believes it only when the access token in the RPC
context, verified here, is that citizen's (issue 17, docs/security.md)."""

import uuid

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from antre_common.auth import ACCESS_TOKEN_KEY

from .conftest import bookable_slot, citizen


def refused(config, context, method, *args):
    with ClusterRpcProxy(config, context_data=context, timeout=30) as cluster:
        with pytest.raises(RemoteError) as error:
            getattr(cluster.scheduling, method)(*args)
    return error.value.exc_type


def test_a_user_id_argument_is_no_authority(config, rpc, test_tokens):
    owner = citizen()
    slot = bookable_slot(rpc)
    booking = rpc.create_booking({**owner, "slot_id": slot["slot_id"], "service_code": "paspor_hilang"})
    cancel = {"reservation_code": booking["reservation_code"], "user_id": owner["user_id"]}
    someone = {"user_id": str(uuid.uuid4()), "role": "citizen"}

    assert refused(config, {}, "cancel_booking", cancel) == "Unauthenticated"  # the caller's word alone
    assert refused(config, {ACCESS_TOKEN_KEY: test_tokens.token(someone)}, "cancel_booking", cancel) == "NotThePerson"
    assert refused(config, {ACCESS_TOKEN_KEY: test_tokens.token(someone)}, "list_bookings", owner["user_id"]) == (
        "NotThePerson"
    )
    forged = test_tokens.token({"user_id": owner["user_id"], "role": "citizen"}, key=_other_key())
    assert refused(config, {ACCESS_TOKEN_KEY: forged}, "cancel_booking", cancel) == "Unauthenticated"
    expired = test_tokens.token({"user_id": owner["user_id"], "role": "citizen"}, ttl=-60)
    assert refused(config, {ACCESS_TOKEN_KEY: expired}, "cancel_booking", cancel) == "TokenExpired"
    # Without a user_id a cancellation is the office's: a citizen's token is not enough.
    office = {"reservation_code": booking["reservation_code"]}
    citizen_token = test_tokens.token({"user_id": owner["user_id"], "role": "citizen"})
    assert refused(config, {ACCESS_TOKEN_KEY: citizen_token}, "cancel_booking", office) == "NotThePerson"

    assert [b["reservation_code"] for b in rpc.list_bookings(owner["user_id"])] == [booking["reservation_code"]]
    assert rpc.cancel_booking(cancel)["status"] == "cancelled"  # the owner's own token


def _other_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def test_the_office_floor_believes_only_a_staff_token_of_the_office(config, rpc, test_tokens):
    """Check-in, calls, ticket actions and insight: staff of the office by the verified token, and a ticket
    action is scoped to the token's office, not to the office the request names."""
    ticket = rpc.walk_in("JKS", {"service_code": "paspor_baru"})

    def token(role, office=None):
        return {ACCESS_TOKEN_KEY: test_tokens.token({"user_id": str(uuid.uuid4()), "role": role,
                                                     "office_code": office})}  # fmt: skip

    assert refused(config, {}, "call_next", "JKS", "1") == "Unauthenticated"
    assert refused(config, token("citizen"), "call_next", "JKS", "1") == "NotThePerson"
    assert refused(config, token("officer", "BDG"), "call_next", "JKS", "1") == "NotThePerson"
    assert refused(config, token("officer", "BDG"), "walk_in", "JKS", {"service_code": "paspor_baru"}) == (
        "NotThePerson"
    )
    assert refused(config, token("officer", "JKS"), "office_stats", "JKS") == "NotThePerson"  # supervisors only
    assert refused(config, token("officer", "BDG"), "office_queue", "JKS") == "NotThePerson"
    # An officer of BDG naming JKS (or no office, as an admin would) in the request: the token's BDG counts.
    for claimed in ("JKS", None):
        step = {"ticket_id": ticket["ticket_id"], "action": "start", "office_code": claimed}
        assert refused(config, token("officer", "BDG"), "ticket_step", step) == "TicketNotFound"
    with ClusterRpcProxy(config, context_data=token("officer", "JKS"), timeout=30) as cluster:
        assert ticket["ticket_id"] in [t["ticket_id"] for t in cluster.scheduling.office_queue("JKS")]
        assert cluster.scheduling.call_next("JKS", "1")["ticket_id"] == ticket["ticket_id"]
