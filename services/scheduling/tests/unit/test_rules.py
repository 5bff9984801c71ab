"""Slot planning, release window, seats, reservation codes, cache and schemas: no broker, no database."""

from datetime import UTC, date, datetime, time

import pytest

from antre_common import reservation_code as codes
from antre_common.errors import ValidationError, load
from scheduling import capacity, catalogue, schemas
from scheduling.read_cache import ReadCache

HOURS = {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "fri": [["08:00", "11:30"], ["13:30", "16:00"]]}


def layout(**kw):
    base = {"timezone": "Asia/Jayapura", "counters": 5, "slot_minutes": 60, "online_share": 0.8,
            "opening_hours": HOURS}  # fmt: skip
    return capacity.Layout(**{**base, **kw})


def test_slots_follow_opening_hours_in_office_time():
    monday = date(2026, 12, 7)
    slots = capacity.day_slots(layout(), monday)
    assert [s.start_at.astimezone(layout().tz).strftime("%H:%M") for s in slots] == [
        "08:00", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00"]  # fmt: skip
    assert slots[0].start_at == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # 08:00 WIT is 23:00 UTC the day before
    assert {s.capacity_minutes for s in slots} == {240}  # 5 counters * 60 min * 80 % online
    # Friday: a slot must fit entirely before the break.
    friday = capacity.day_slots(layout(), date(2026, 12, 11))
    assert [s.start_at.astimezone(layout().tz).strftime("%H:%M") for s in friday] == ["08:00", "09:00", "10:00",
                                                                                        "13:30", "14:30"]  # fmt: skip


def test_closed_on_holidays_closures_and_weekends():
    christmas = date(2026, 12, 25)
    assert capacity.holiday_name(christmas)
    assert capacity.closed_reason(layout(), christmas) == "holiday"
    assert capacity.closed_reason(layout(), date(2026, 8, 17)) == "holiday"  # Hari Kemerdekaan
    assert capacity.closed_reason(layout(), date(2026, 12, 6)) == "weekly"  # Sunday
    closure = date(2026, 12, 7)
    assert capacity.closed_reason(layout(closures=frozenset({closure})), closure) == "closure"
    assert capacity.day_slots(layout(closures=frozenset({closure})), closure) == []


def test_seats_depend_on_service_duration():
    assert capacity.seats(300, 0, 30) == 10
    assert capacity.seats(300, 270, 30) == 1
    assert capacity.seats(300, 290, 30) == 0
    assert capacity.seats(300, 300, 15) == 0
    assert capacity.seats(100, 120, 15) == 0  # a slot kept above a reduced capacity never goes negative


def test_release_window_opens_a_new_day_at_the_release_time():
    seven = time(7, 0)
    before = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)  # 06:59 in Jakarta on 2 Dec
    after = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 07:00
    assert capacity.open_until(before, "Asia/Jakarta", 14, seven) == date(2026, 12, 15)
    assert capacity.open_until(after, "Asia/Jakarta", 14, seven) == date(2026, 12, 16)
    # Same instant, Jayapura is two hours ahead: already past 07:00 there.
    assert capacity.open_until(before, "Asia/Jayapura", 14, seven) == date(2026, 12, 16)
    nxt = capacity.next_release(before, "Asia/Jakarta", seven)
    assert nxt.isoformat() == "2026-12-02T07:00:00+07:00"


def test_reservation_codes_are_short_unambiguous_and_random():
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    assert all(len(c) == 8 and not set(c) & set("ILOU") for c in made)
    assert codes.normalise("k7qd-m2xp") == "K7QDM2XP"
    assert codes.normalise("OILX-0000") == "011X0000"
    assert codes.normalise("K7QD-M2X") is None and codes.normalise("K7QD-M2X!") is None
    assert codes.display("K7QDM2XP") == "K7QD-M2XP"


def test_opening_hours_are_validated():
    assert capacity.validate_opening_hours(HOURS) == []
    assert capacity.validate_opening_hours({"mon": [["12:00", "08:00"]]})
    assert capacity.validate_opening_hours({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]})
    assert capacity.validate_opening_hours({"funday": []})
    with pytest.raises(ValidationError):
        load(schemas.CapacityChange(), {"opening_hours": {"mon": [["8", "x"]]}})
    with pytest.raises(ValidationError):
        load(schemas.NewBooking(), {"user_id": "x", "person_ref": "p" * 32, "slot_id": "y", "service_code": "a"})


def test_day_cache_loads_once_and_invalidates():
    cache, calls = ReadCache(ttl=60), []

    def load_days(office, days):
        calls.append((office, tuple(days)))
        return {d: [d.isoformat()] for d in days}

    d1, d2 = date(2026, 12, 7), date(2026, 12, 8)
    assert cache.get_days("JKS", [d1, d2], load_days) == {d1: ["2026-12-07"], d2: ["2026-12-08"]}
    cache.get_days("JKS", [d1, d2], load_days)
    assert calls == [("JKS", (d1, d2))]
    cache.invalidate("JKS", ["2026-12-08"])
    cache.get_days("JKS", [d1, d2], load_days)
    assert calls[-1] == ("JKS", (d2,))
    cache.invalidate("JKS")
    cache.get_days("JKS", [d1], load_days)
    assert calls[-1] == ("JKS", (d1,))


def test_catalogue_data_has_offices_in_every_time_zone_and_the_passport_services():
    data = catalogue.read_data()
    assert "sample" in data["source"].lower()
    assert len(data["offices"]) >= 10
    assert {o["timezone"] for o in data["offices"]} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    assert len({o["code"] for o in data["offices"]}) == len(data["offices"])
    assert {s["code"] for s in data["services"]} == {"paspor_baru", "paspor_penggantian", "paspor_hilang",
                                                     "paspor_rusak", "paspor_elektronik"}  # fmt: skip
    # Only the electronic passport is billed before the visit (its fee: payment's fees.yaml); the rest as before.
    assert {s["code"] for s in data["services"] if s.get("prepaid")} == {"paspor_elektronik"}
    assert capacity.validate_opening_hours(data["defaults"]["opening_hours"]) == []
