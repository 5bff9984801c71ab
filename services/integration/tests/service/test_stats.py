"""Daily aggregates: bookings, served, no-shows and mean wait per office, service and day, published once
on antre.integration (and so in the replay too), from events alone."""

import uuid
from datetime import UTC, datetime, timedelta

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from antre_common.envelope import make_envelope, utcnow
from antre_common.testing import wait_until
from integration.stats import last_ended_day

CREATED = "id.go.imigrasi.antre.booking.created.v1"
CANCELLED = "id.go.imigrasi.antre.booking.cancelled.v1"
RESCHEDULED = "id.go.imigrasi.antre.booking.rescheduled.v1"
COMPLETED = "id.go.imigrasi.antre.ticket.completed.v1"
STATS = "id.go.imigrasi.antre.stats.daily.v1"


def booking(day, office="JKS", service="paspor_baru", booking_id=None):
    return {"booking_id": booking_id or str(uuid.uuid4()), "office_code": office, "service_code": service,
            "date": day.isoformat(), "start": f"{day.isoformat()}T09:00:00+07:00", "status": "confirmed"}  # fmt: skip


def test_a_day_is_published_once_with_its_figures(container, relay, rpc_proxy, config, world):
    day = last_ended_day(utcnow(), 3)
    other_day = day - timedelta(days=5)
    kept, moved_in, cancelled, missed, moved_away = (booking(day) for _ in range(5))
    events = [
        world.cloud_event(CREATED, **kept),
        world.cloud_event(CREATED, **booking(other_day, booking_id=moved_in["booking_id"])),
        world.cloud_event(RESCHEDULED, **moved_in, old_start="x"),
        world.cloud_event(CREATED, **cancelled),
        world.cloud_event(CANCELLED, **dict(cancelled, status="cancelled", reason="citizen")),
        world.cloud_event(CREATED, **missed),
        world.cloud_event(CREATED, **moved_away),
        world.cloud_event(RESCHEDULED, **booking(other_day, booking_id=moved_away["booking_id"]), old_start="x"),
        world.cloud_event(CREATED, **booking(day, office="DJJ", service="paspor_hilang")),
    ]
    # Served that day in Jakarta (09:00 local) twice, and once just after midnight Jayapura time: the next day
    # there, so it is not counted.
    noon = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2)
    for when, office, wait in ((noon, "JKS", 300), (noon, "JKS", 500), (noon + timedelta(hours=13), "DJJ", 60)):
        event = world.cloud_event(COMPLETED, ticket_id=str(uuid.uuid4()), office_code=office,
                                  service_code="paspor_baru" if office == "JKS" else "paspor_hilang",
                                  kind="booked", wait_seconds=wait, service_seconds=600)  # fmt: skip
        events.append(dict(event, time=when.isoformat()))
    for event in events:
        with entrypoint_waiter(container, "on_integration_event"):
            relay.publish(event)
    with entrypoint_waiter(container, "on_booking_no_show"):
        no_show = {"booking_id": missed["booking_id"], "reservation_code": "X", "user_id": str(uuid.uuid4()),
                   "office_code": "JKS"}  # fmt: skip
        event_dispatcher(config)("scheduling", "booking_no_show", make_envelope("booking_no_show", no_show))

    with entrypoint_hook(container, "publish_stats") as publish:
        assert publish() == 2
        assert publish() == 0  # once per day

    token = rpc_proxy.issue_token(**_credentials(rpc_proxy))["access_token"]

    def published():
        found = [e for e in rpc_proxy.read_events(token, limit=1000)["events"] if e["type"] == STATS]
        return found if len(found) == 2 else None

    stats = {(e["data"]["office_code"], e["data"]["service_code"]): e["data"] for e in wait_until(published, 15)}
    assert stats["JKS", "paspor_baru"] == {
        "date": day.isoformat(), "office_code": "JKS", "service_code": "paspor_baru",
        "bookings": 3, "served": 2, "no_shows": 1, "mean_wait_seconds": 400,
    }  # fmt: skip
    assert stats["DJJ", "paspor_hilang"] == {
        "date": day.isoformat(), "office_code": "DJJ", "service_code": "paspor_hilang",
        "bookings": 1, "served": 0, "no_shows": 0, "mean_wait_seconds": None,
    }  # fmt: skip
    assert all(e["source"] == "/antre/integration" for e in wait_until(published, 15))


def _credentials(rpc_proxy):
    client = rpc_proxy.create_client("bps-stats")
    return {"client_id": client["client_id"], "client_secret": client["client_secret"]}
