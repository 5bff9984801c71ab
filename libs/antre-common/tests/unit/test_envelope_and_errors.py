import json
import logging

from marshmallow import Schema, fields

from antre_common.context import accept_request_id
from antre_common.envelope import EnvelopeSchema, make_envelope
from antre_common.errors import NotFound, ServiceError, load, parse_remote
from antre_common.logs import JsonFormatter, mask


def test_envelope_has_the_fields_of_the_spec_and_validates():
    env = make_envelope("booking_created", {"booking_id": "b1"}, "req-12345678")
    assert set(env) == {"event_id", "type", "occurred_at", "request_id", "data"}
    loaded = EnvelopeSchema().load(env)
    assert loaded["type"] == "booking_created"
    assert loaded["occurred_at"].utcoffset().total_seconds() == 0


def test_service_error_travels_as_json_with_its_code():
    exc = NotFound("no such booking", reservation_code="ABC")
    doc = parse_remote(str(exc))
    assert doc["code"] == "NOT_FOUND"
    assert doc["params"] == {"reservation_code": "ABC"}
    assert parse_remote("plain text") is None
    assert parse_remote(json.dumps({"no": "code"})) is None


def test_load_turns_schema_errors_into_validation_error_with_fields():
    class S(Schema):
        n = fields.Integer(required=True)

    try:
        load(S(), {"n": "x"})
    except ServiceError as exc:
        assert exc.code == "VALIDATION_ERROR"
        assert "n" in exc.errors
    else:
        raise AssertionError("invalid input accepted")


def test_request_ids_from_outside_are_accepted_only_when_sane():
    assert accept_request_id("abcdef12-3456") == "abcdef12-3456"
    for bad in (None, "", "short", "x" * 65, 'bad"quote\ninjected-line'):
        new = accept_request_id(bad)
        assert new != bad and len(new) == 32


def test_json_log_line_is_one_object_with_extras():
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": "hello %s", "args": ("w",)})
    record.booking_id = "b1"
    doc = json.loads(JsonFormatter().format(record))
    assert doc["msg"] == "hello w"
    assert doc["booking_id"] == "b1"
    assert "request_id" in doc


def test_mask_keeps_only_the_ends():
    assert mask("3171234567890001") == "3171********0001"
    assert mask("1234") == "****"
    assert mask(None) is None


def test_plain_postgresql_urls_use_psycopg2():
    from antre_common.db import postgres_url

    assert postgres_url("postgresql://u:p@db:5432/antre").drivername == "postgresql+psycopg2"
    assert postgres_url("postgresql+psycopg2://u@db/antre").drivername == "postgresql+psycopg2"
