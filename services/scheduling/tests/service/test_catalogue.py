"""Catalogue, capacity and availability through the real RPC entrypoints."""

from datetime import UTC, date, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from scheduling import capacity
from scheduling.models import Base

from .conftest import bookable_slot, citizen, error_code, set_seats, slot_row


def test_models_and_migrations_do_not_drift(engine, container):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_catalogue_is_loaded_with_offices_in_three_time_zones(rpc):
    offices = rpc.list_offices()
    assert len(offices) >= 10
    assert {o["timezone"] for o in offices} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    assert len({o["province"] for o in offices}) >= 5
    services = {s["code"]: s for s in rpc.list_services()}
    assert {"paspor_baru", "paspor_penggantian", "paspor_hilang", "paspor_rusak"} <= set(services)
    lost = rpc.get_service("paspor_hilang")
    assert {"type": "surat_kehilangan", "name": "Surat keterangan hilang dari Kepolisian", "required": True} in lost[
        "required_documents"
    ]
    office = rpc.get_office("DPS")
    assert office["timezone"] == "Asia/Makassar" and office["address"]
    assert office["booking_window"]["release_time"] == "07:00"
    assert error_code(rpc.get_office, "NOPE") == "OFFICE_NOT_FOUND"
    assert error_code(rpc.get_service, "visa") == "SERVICE_NOT_FOUND"


def test_availability_is_in_office_local_time_and_skips_closed_days(rpc):
    for office, offset in (("JKS", "+07:00"), ("MKS", "+08:00"), ("DJJ", "+09:00")):
        slots = rpc.get_availability({"office_code": office, "service_code": "paspor_baru"})
        assert slots, office
        assert all(s["start"].endswith(offset) for s in slots)
        assert all(s["start"][11:16] >= "08:00" and s["end"][11:16] <= "16:00" for s in slots)
        days = {date.fromisoformat(s["date"]) for s in slots}
        assert all(d.weekday() < 5 and not capacity.holiday_name(d) for d in days)


def test_availability_rejects_dates_outside_the_window(rpc):
    today = datetime.now(UTC).date()
    past = {"office_code": "JKS", "service_code": "paspor_baru", "date_from": str(today - timedelta(days=2))}
    assert error_code(rpc.get_availability, past) == "DATE_OUT_OF_WINDOW"
    far = dict(past, date_from=str(today + timedelta(days=40)), date_to=str(today + timedelta(days=41)))
    assert error_code(rpc.get_availability, far) == "DATE_OUT_OF_WINDOW"
    assert error_code(rpc.get_availability, {"office_code": "JKS", "service_code": "x"}) == "SERVICE_NOT_FOUND"
    assert error_code(rpc.get_availability, {"office_code": "JKS"}) == "VALIDATION_ERROR"


def test_remaining_seats_follow_counters_slot_length_and_duration(rpc):
    set_seats(rpc, "BDG", 10, minutes=30)  # 300 counter-minutes a slot
    slots = rpc.get_availability({"office_code": "BDG", "service_code": "paspor_hilang"})  # 30 min
    assert {s["remaining"] for s in slots} == {10}
    renewals = rpc.get_availability({"office_code": "BDG", "service_code": "paspor_penggantian"})  # 15 min
    assert {s["remaining"] for s in renewals} == {20}


def test_capacity_change_keeps_booked_slots_and_closes_a_day(rpc, engine):
    set_seats(rpc, "SMG", 10)
    slot = bookable_slot(rpc, "SMG")
    booking = rpc.create_booking({**citizen(), "slot_id": slot["slot_id"], "service_code": "paspor_hilang"})
    day = slot["date"]
    result = rpc.update_capacity("SMG", {"counters": 2, "closures": [{"date": day, "reason": "renovasi"}]})
    assert result["kept_booked_slots"] == 1
    assert {"date": day, "reason": "renovasi"} in result["closures"]
    # The closed day offers nothing, but the booking and its slot are intact.
    assert rpc.get_availability({"office_code": "SMG", "service_code": "paspor_hilang", "date_from": day,
                                 "date_to": day}) == []  # fmt: skip
    assert rpc.get_booking(booking["reservation_code"])["status"] == "confirmed"
    row = slot_row(engine, slot["slot_id"])
    assert row["closed"] and row["booked_count"] == 1
    other = citizen()
    assert (
        error_code(rpc.create_booking, {**other, "slot_id": slot["slot_id"], "service_code": "paspor_baru"})
        == "SLOT_UNAVAILABLE"
    )
    # Reopening the day brings the slot back with its booking counted.
    rpc.update_capacity("SMG", {"closures": []})
    again = rpc.get_availability(
        {"office_code": "SMG", "service_code": "paspor_hilang", "date_from": day, "date_to": day}
    )
    same = next(s for s in again if s["slot_id"] == slot["slot_id"])
    assert same["remaining"] == 1  # 2 counters * 60 min * 0.5 = 60 min, 30 taken


def test_capacity_change_is_validated(rpc):
    assert error_code(rpc.update_capacity, "JKS", {"counters": 0}) == "VALIDATION_ERROR"
    assert (
        error_code(rpc.update_capacity, "JKS", {"opening_hours": {"mon": [["16:00", "08:00"]]}}) == "VALIDATION_ERROR"
    )
    assert error_code(rpc.update_capacity, "JKS", {"tables": 3}) == "VALIDATION_ERROR"
    assert error_code(rpc.update_capacity, "XXX", {"counters": 3}) == "OFFICE_NOT_FOUND"
