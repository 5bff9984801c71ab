"""Pure rules of the integration service: the cursor's shape, the last day whose aggregates are due, what a
client sees of itself, and what counts as a CloudEvent."""

from datetime import UTC, date, datetime

import pytest

from integration.exceptions import CursorNotFound
from integration.replay import cursor_of, parse_cursor
from integration.schemas import CloudEvent, CreateClientArgs, ReadArgs
from integration.stats import last_ended_day


def test_a_cursor_is_the_position_it_names():
    assert parse_cursor(cursor_of(812, 40)) == (812, 40)
    for bad in ("", "812", "812-", "-1-2", "a-b", "1-2-3", "1" * 20 + "-1"):
        with pytest.raises(CursorNotFound):
            parse_cursor(bad)
    assert ReadArgs().validate({"after": "12-x"}) and not ReadArgs().validate({"after": "12-3", "limit": 5})
    assert ReadArgs().validate({"limit": 0})


@pytest.mark.parametrize(
    ("now", "day"),
    [
        # 2 Dec 19:59 UTC = 3 Dec 02:59 WIB: 2 Dec ended in Jakarta less than 3 h ago, so 1 Dec is the last due.
        (datetime(2026, 12, 2, 19, 59, tzinfo=UTC), date(2026, 12, 1)),
        (datetime(2026, 12, 2, 20, 0, tzinfo=UTC), date(2026, 12, 2)),
        (datetime(2026, 12, 3, 1, 0, tzinfo=UTC), date(2026, 12, 2)),
    ],
)
def test_a_day_is_due_three_hours_after_it_ended_in_jakarta(now, day):
    assert last_ended_day(now, 3) == day


def test_names_and_cloud_events():
    assert not CreateClientArgs().validate({"name": "kemenkes"})
    for bad in ("K", "Kemenkes", "kemen kes", "-x", "a" * 64):
        assert CreateClientArgs().validate({"name": bad}), bad
    event = {"specversion": "1.0", "id": "1", "source": "/antre/x", "type": "id.go.imigrasi.antre.a.v1",
             "time": "2026-12-01T00:00:00Z", "data": {}, "extension": "kept"}  # fmt: skip
    assert CloudEvent().validate(event) == {}
    assert CloudEvent().validate(dict(event, specversion="0.3"))
    assert CloudEvent().validate({k: v for k, v in event.items() if k != "id"})
