"""The availability cache never keeps rows loaded while their office changed."""

from datetime import date

from scheduling.read_cache import ReadCache

DAY = date(2026, 12, 1)


def test_rows_loaded_across_an_invalidation_are_answered_but_not_kept():
    cache, loads = ReadCache(ttl=60), []

    def load_during_a_booking(office_code, days):
        loads.append(days)
        cache.invalidate(office_code, days)  # a booking commits while the rows are on their way
        return {DAY: ["before the booking"]}

    assert cache.get_days("JKS", [DAY], load_during_a_booking) == {DAY: ["before the booking"]}
    assert cache.get_days("JKS", [DAY], lambda o, d: {DAY: ["after the booking"]}) == {DAY: ["after the booking"]}
    assert cache.get_days("JKS", [DAY], lambda o, d: {DAY: ["not asked"]}) == {DAY: ["after the booking"]}
    assert loads == [[DAY]]
