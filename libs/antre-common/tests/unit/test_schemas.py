"""The schema bases every service's edge uses: NUL and lone surrogates refused, date-times in UTC."""

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError, fields

from antre_common.schemas import Strict, UtcDateTime


class Office(Strict):
    office_code = fields.String(required=True)
    filters = fields.Dict()
    names = fields.List(fields.String())


@pytest.mark.parametrize(
    "data, field",
    [
        ({"office_code": "JK\x00S"}, "office_code"),
        ({"office_code": "\ud800"}, "office_code"),
        ({"office_code": "JKS", "filters": {"event": "login\x00"}}, "filters.event"),
        ({"office_code": "JKS", "names": ["ok", "a\udfffb"]}, "names[1]"),
        ({"office_code": "JKS", "filters": {"ev\x00ent": "x"}}, "filters.ev\x00ent"),
    ],
)
def test_a_nul_or_a_lone_surrogate_anywhere_is_refused_with_its_field(data, field):
    with pytest.raises(ValidationError) as exc:
        Office().load(data)
    assert field in exc.value.messages


def test_ordinary_text_and_paired_surrogates_pass():
    data = {"office_code": "JKS", "filters": {"nama": "Siti Nurhaliza 😀"}, "names": ["Ayu"]}
    assert Office().load(data) == data


class Period(Strict):
    starts_at = UtcDateTime(required=True)


def test_date_times_are_loaded_in_utc_whatever_their_offset():
    loaded = Period().load({"starts_at": "2026-12-02T07:00:00+18:18"})["starts_at"]
    assert loaded == datetime(2026, 12, 1, 12, 42, tzinfo=UTC) and loaded.utcoffset().total_seconds() == 0


def test_a_moment_utc_cannot_hold_is_invalid_not_an_overflow():
    with pytest.raises(ValidationError) as exc:
        Period().load({"starts_at": "0001-01-01T00:00:00+05:00"})
    assert "starts_at" in exc.value.messages
