"""The published contract of antre.integration (contracts/integration): every type the suite can emit has a
JSON Schema, no schema declares a personal field, what the senders build keeps the schemas (strictly: no
undeclared field), and the AsyncAPI document is built from the schemas. tests/system/conftest.py checks
every event the system tests really emitted with the same Contract."""

import importlib.util
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from gateway.integration_contract import PERSONAL, TYPE, Contract, personal_data
from integration import events as integration_events
from payment import events as payment_events
from scheduling import events as scheduling_events
from scheduling import operations

REPO = Path(__file__).resolve().parents[2]
CONTRACT = Contract()
TYPE_IN_CODE = re.compile(r"id\.go\.imigrasi\.antre\.[a-z_.]+\.v[0-9]+")


def _senders():
    spec = importlib.util.spec_from_file_location("contract_samples", REPO / "tests/unit/test_event_contracts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S = _senders()
BOOKING = S.BOOKING
SAMPLES = {
    "id.go.imigrasi.antre.booking.created.v1": scheduling_events.booking_integration(BOOKING, S.TZ),
    "id.go.imigrasi.antre.booking.cancelled.v1": scheduling_events.booking_integration(
        type(BOOKING)(**{**vars(BOOKING), "status": "cancelled"}), S.TZ, reason="citizen"
    ),
    "id.go.imigrasi.antre.booking.rescheduled.v1": scheduling_events.booking_integration(
        BOOKING, S.TZ, old_start=S.OLD_SLOT["start"]
    ),
    "id.go.imigrasi.antre.ticket.issued.v1": scheduling_events.ticket_issued(operations.ticket_dto(S.TICKET)),
    "id.go.imigrasi.antre.ticket.completed.v1": scheduling_events.ticket_completed(S.TICKET, BOOKING)[1],
    integration_events.DAILY_STATS: integration_events.daily_stats(S.NOW.date(), "JKS", "paspor_baru", 12, 9, 2, 431.6),
    "id.go.imigrasi.antre.release.opened.v1": scheduling_events.release_opened(S.RELEASE_VIEW),
    "id.go.imigrasi.antre.payment.received.v1": payment_events.payment_received_integration(S.BILL),
    "id.go.imigrasi.antre.payment.refunded.v1": payment_events.payment_refunded_integration(S.BILL, S.REFUND),
}


def test_scheduling_also_emits_every_type_it_maps():
    assert set(scheduling_events.INTEGRATION_TYPES.values()) <= set(SAMPLES)


def types_in_senders():
    """Every CloudEvent type named in a service's events.py: each needs its schema."""
    found = set()
    for path in (REPO / "services").glob("*/*/events.py"):
        found |= set(TYPE_IN_CODE.findall(path.read_text()))
    return found


def test_every_type_the_suite_can_emit_has_a_schema():
    emitted = types_in_senders() | set(scheduling_events.INTEGRATION_TYPES.values())
    assert emitted, "no CloudEvent type found in services/*/*/events.py"
    assert emitted - set(CONTRACT.schemas) == set(), "add contracts/integration/schemas/<type>.json"
    assert set(SAMPLES) == set(CONTRACT.schemas), "give each schema a sample built by its sender here"


@pytest.mark.parametrize("ce_type", sorted(CONTRACT.schemas))
def test_each_schema_is_a_valid_documented_object_schema_without_personal_fields(ce_type):
    schema = CONTRACT.schemas[ce_type]
    assert TYPE.match(ce_type), "file name = the CloudEvent type, ending in .vN"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(f"/schemas/{ce_type}.json")
    assert schema["type"] == "object" and schema["title"] and schema["description"]
    assert schema["x-antre-source"].startswith("/antre/")
    assert set(schema["required"]) <= set(schema["properties"])
    assert "additionalProperties" not in schema, "consumers must accept fields added later"
    names = json.dumps(schema["properties"])
    for field in schema["properties"]:
        assert not any(word in field.lower() for word in PERSONAL), f"{ce_type}: {field} would name a person"
    assert "user" not in names


@pytest.mark.parametrize("ce_type", sorted(SAMPLES))
def test_what_the_sender_builds_keeps_its_schema_strictly(ce_type):
    data = json.loads(json.dumps(SAMPLES[ce_type], default=str))
    source = CONTRACT.schemas[ce_type]["x-antre-source"]
    sender = importlib.import_module(f"{source.rsplit('/', 1)[1]}.events")  # /antre/<service> → <service>.events
    event = json.loads(json.dumps(sender.cloud_event(ce_type, data), default=str))
    assert event["source"] == source
    assert CONTRACT.errors(event, strict=True) == []
    assert personal_data(event) == []


def test_the_checks_catch_what_they_are_for():
    event = scheduling_events.cloud_event("id.go.imigrasi.antre.booking.created.v1", dict(SAMPLES[
        "id.go.imigrasi.antre.booking.created.v1"], user_id=BOOKING.user_id))  # fmt: skip
    event = json.loads(json.dumps(event, default=str))
    assert CONTRACT.errors(event) == []  # the published schema lets consumers accept new fields…
    assert any("user_id" in e for e in CONTRACT.errors(event, strict=True))  # …the suite's own check does not
    assert personal_data(event) == ["data.user_id: a personal field"]
    leak = dict(event, data=dict(event["data"], note="ayu@example.id 3273014211880001 +62 813-1122-3344"))
    assert len(personal_data(leak)) == 3
    unknown = dict(event, type="id.go.imigrasi.antre.booking.teleported.v1")
    assert "no schema for type 'id.go.imigrasi.antre.booking.teleported.v1'" in CONTRACT.errors(unknown)
    assert CONTRACT.errors(dict(event, data={"booking_id": "not-a-uuid"}))


def test_the_asyncapi_document_has_one_channel_message_and_operation_per_schema():
    doc = CONTRACT.asyncapi()
    assert doc["asyncapi"].startswith("3.")
    assert {c["address"] for c in doc["channels"].values()} == set(CONTRACT.schemas)
    for key, channel in doc["channels"].items():
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "antre.integration"
        assert doc["operations"][f"receive_{key}"]["channel"] == {"$ref": f"#/channels/{key}"}
        message = doc["components"]["messages"][key]
        refs = [part.get("$ref") for part in message["payload"]["schema"]["allOf"]]
        refs.append(message["payload"]["schema"]["allOf"][1]["properties"]["data"]["$ref"])
        for ref in filter(None, refs):
            assert (CONTRACT.dir / ref).exists(), ref
    text = yaml.safe_dump(doc)
    assert "Versioning" in text and "at least once" in text
