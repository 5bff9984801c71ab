"""The admin calls need an admin's access token in the RPC context, verified by payment itself: the broker
lets only the gateway's login send them, and a ``staff_id`` argument is no authority (issue 17)."""

import uuid

from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from .conftest import ADMIN


def answer(config, context, method, *args):
    with ClusterRpcProxy(config, context_data=context, timeout=30) as cluster:
        try:
            return getattr(cluster.payment, method)(*args)
        except RemoteError as exc:
            return exc.exc_type


def test_admin_calls_need_an_admins_token(config, payment, test_tokens):
    citizen = {"user_id": str(uuid.uuid4()), "role": "citizen"}
    outage = {"state": "down", "reason": "uji", "staff_id": ADMIN["user_id"]}
    assert answer(config, {}, "channel_status") == "Unauthenticated"
    assert answer(config, test_tokens.context(citizen, caller=None), "channel_status") == "NotThePerson"
    expired = test_tokens.context(ADMIN, caller=None, ttl=-60)
    assert answer(config, expired, "set_channel_state", outage) == "TokenExpired"
    other_admin = test_tokens.context({**ADMIN, "user_id": str(uuid.uuid4())}, caller=None)
    assert answer(config, other_admin, "set_channel_state", outage) == "NotThePerson"  # staff_id is not them
    assert answer(config, test_tokens.context(ADMIN, caller=None), "channel_status")["state"] == "up"
