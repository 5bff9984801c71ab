"""A booking, cancel or reschedule made through this gateway drops the office's cached availability at once
(other replicas learn it from scheduling's events)."""

import uuid

import pytest
from werkzeug.test import EnvironBuilder

from gateway.auth import Principal
from gateway.availability_cache import OfficeAnswers
from gateway.limits import Limits
from gateway.routes.bookings import BookingRoutes

CITIZEN = Principal(user_id=str(uuid.uuid4()), role="citizen", office_code=None, person_ref="p" * 64)
KEY = ("JKS", "paspor_baru", None, None)


class Scheduling:
    def __getattr__(self, name):
        return lambda *args: {"office_code": "JKS", "user_id": CITIZEN.user_id, "reservation_code": "K7QDM2XP"}


class Routes(BookingRoutes):
    scheduling = availability_cache = limits = None  # not the nameko dependencies: stand-ins per test

    def __init__(self):
        self.scheduling = Scheduling()
        self.limits = Limits({})
        self.availability_cache = OfficeAnswers(ttl=60)


@pytest.mark.parametrize(
    "change",
    [
        lambda r, req: r.create_booking(req, {"slot_id": uuid.uuid4(), "service_code": "paspor_baru"}, CITIZEN),
        lambda r, req: r.cancel_booking(req, "K7QDM2XP", CITIZEN),
        lambda r, req: r.reschedule_booking(req, "K7QDM2XP", {"slot_id": uuid.uuid4()}, CITIZEN),
    ],
    ids=["book", "cancel", "reschedule"],
)
def test_a_change_through_this_gateway_drops_the_office_at_once(change):
    routes = Routes()
    routes.availability_cache.get(KEY, lambda: "before")
    routes.availability_cache.get(("MKS", "paspor_baru", None, None), lambda: "other office")
    change(routes, EnvironBuilder(method="POST").get_request())
    assert routes.availability_cache.get(KEY, lambda: "after") == "after"
    assert routes.availability_cache.get(("MKS", "paspor_baru", None, None), lambda: "x") == "other office"
