"""Two replicas of scheduling: a booking made through one is visible at once in the other's cached
availability (the booking event reaches every replica's broadcast queue)."""

from nameko.testing.services import entrypoint_hook

from antre_common.testing import wait_until
from scheduling.service import SchedulingService

from .conftest import citizen, wait_until_released


def test_a_booking_on_one_replica_refreshes_the_others_cache(container_factory, config, test_tokens):
    one = container_factory(SchedulingService, dict(config, AVAILABILITY_CACHE_SECONDS=3600))
    two = container_factory(SchedulingService, dict(config, AVAILABILITY_CACHE_SECONDS=3600))
    one.start()
    two.start()
    wait_until_released(one)
    wait_until_released(two)
    with entrypoint_hook(two, "get_availability") as availability_on_two:
        slots = availability_on_two({"office_code": "JKS", "service_code": "paspor_hilang"})
        slot = next(s for s in slots if s["remaining"] > 0)
        day = {
            "office_code": "JKS",
            "service_code": "paspor_hilang",
            "date_from": slot["date"],
            "date_to": slot["date"],
        }

        def remaining_on_two():
            return next(s["remaining"] for s in availability_on_two(day) if s["slot_id"] == slot["slot_id"])

        assert remaining_on_two() == slot["remaining"]  # now cached on two, for an hour
        person = citizen()
        context = test_tokens.context({"user_id": person["user_id"], "role": "citizen"})  # as the gateway calls
        with entrypoint_hook(one, "create_booking", context_data=context) as create_booking:
            create_booking({**person, "slot_id": slot["slot_id"], "service_code": "paspor_hilang"})
        wait_until(lambda: remaining_on_two() == slot["remaining"] - 1, 5, what="the other replica's fresh answer")
        assert remaining_on_two() == slot["remaining"] - 1
