"""Office operation routes: what they pass to scheduling (Idempotency-Key of walk-ins) and which ids they
refuse before asking it."""

import uuid

import pytest
from werkzeug.test import EnvironBuilder

from gateway.auth import Principal
from gateway.errors import ERRORS, GatewayError
from gateway.routes.operations import OperationsRoutes

OFFICER = Principal(user_id=str(uuid.uuid4()), role="officer", office_code="JKS")


class Scheduling:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, args))
            return {"ticket_id": "t"}

        return call


class Routes(OperationsRoutes):
    scheduling = None  # not the RPC dependency: a recording stand-in per test

    def __init__(self):
        self.scheduling = Scheduling()


@pytest.fixture
def routes():
    return Routes()


def request(headers=None):
    return EnvironBuilder(method="POST", headers=headers or {}).get_request()


def test_walk_in_passes_the_idempotency_key_and_the_staff_user(routes):
    body = {"service_code": "paspor_baru", "priority": None, "name": "Budi"}
    routes.walk_in(request({"Idempotency-Key": "k-1"}), "JKS", body, OFFICER)
    routes.walk_in(request(), "JKS", body, OFFICER)
    (_, (code, first)), (_, (_, second)) = routes.scheduling.calls
    assert code == "JKS" and first["idempotency_key"] == "k-1" and first["user_id"] == OFFICER.user_id
    assert second["idempotency_key"] is None and "name" not in first  # the name is never sent on


@pytest.mark.parametrize("action", ["start_ticket", "complete_ticket", "no_show_ticket"])
@pytest.mark.parametrize("ticket_id", ["not-a-uuid", "123", "%00"])
def test_a_malformed_ticket_id_is_404_not_400(routes, action, ticket_id):
    with pytest.raises(GatewayError) as caught:
        getattr(routes, action)(request(), ticket_id, OFFICER)
    assert ERRORS[caught.value.code][0] == 404
    assert routes.scheduling.calls == []  # scheduling was never asked


def test_a_well_formed_ticket_id_reaches_scheduling(routes):
    ticket_id = str(uuid.uuid4())
    routes.start_ticket(request(), ticket_id.upper(), OFFICER)
    assert routes.scheduling.calls == [
        ("ticket_step", ({"ticket_id": ticket_id, "action": "start", "office_code": "JKS"},))
    ]
