"""The published contract of ``antre.integration``: one JSON Schema per event type's ``data``
(``contracts/integration/schemas/<type>.json``) and the AsyncAPI 3 document built from them.

Adding an event type for other ministries is one file: its schema. The AsyncAPI document's channel,
message and receive operation for it are made here from the schema's ``title``, ``description`` and
``x-antre-source``, so the document and the schemas cannot drift apart. The tests
(tests/unit/test_integration_contract.py, tests/system/conftest.py) validate what the suite emits with
``Contract.validate``.
"""

import copy
import json
import re
from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "contracts" / "integration"
EXCHANGE = "antre.integration"
TYPE = re.compile(r"^id\.go\.imigrasi\.antre\.[a-z_]+(\.[a-z_]+)*\.v[0-9]+$")
# Field names that would name or reach a person: no schema may declare one (tests/unit enforces it).
PERSONAL = ("nik", "name", "email", "phone", "user_id", "person_ref", "birth", "address", "reservation_code")


class Contract:
    """``Contract(dir)``: ``.schemas`` {type: data schema}, ``.envelope``, ``.asyncapi()``, ``.validate(event)``."""

    def __init__(self, directory=None):
        self.dir = Path(directory or DEFAULT_DIR)
        self.envelope = json.loads((self.dir / "cloudevent.json").read_text())
        self.schemas = {}
        for path in sorted((self.dir / "schemas").glob("*.json")):
            self.schemas[path.name.removesuffix(".json")] = json.loads(path.read_text())

    def schema_file(self, name):
        """The bytes of ``schemas/<name>`` or ``cloudevent.json``; None for any other name."""
        if name == "cloudevent.json":
            return (self.dir / name).read_bytes()
        if name.removesuffix(".json") in self.schemas and name.endswith(".json"):
            return (self.dir / "schemas" / name).read_bytes()
        return None

    def asyncapi(self):
        doc = yaml.safe_load((self.dir / "asyncapi.base.yaml").read_text())
        components = doc.setdefault("components", {})
        channels, operations, messages = {}, {}, components.setdefault("messages", {})
        for ce_type, schema in self.schemas.items():
            key = ce_type.removeprefix("id.go.imigrasi.antre.").replace(".", "_")
            messages[key] = {
                "name": ce_type,
                "title": schema.get("title", ce_type),
                "summary": schema.get("description", ""),
                "traits": [{"$ref": "#/components/messageTraits/cloudEvent"}],
                "payload": {
                    "schemaFormat": "application/schema+json;version=draft-2020-12",
                    "schema": {
                        "allOf": [
                            {"$ref": "./cloudevent.json"},
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"const": ce_type},
                                    "source": {"const": schema.get("x-antre-source", "/antre/scheduling")},
                                    "data": {"$ref": f"./schemas/{ce_type}.json"},
                                },
                            },
                        ]
                    },
                },
            }
            channels[key] = {
                "address": ce_type,
                "title": ce_type,
                "description": f"Routing key {ce_type} on the topic exchange {EXCHANGE}.",
                "messages": {key: {"$ref": f"#/components/messages/{key}"}},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False},
                        "bindingVersion": "0.3.0",
                    }
                },
            }
            operations[f"receive_{key}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": f"A ministry's queue bound to {EXCHANGE} with routing key {ce_type} (or a pattern).",
                "bindings": {"amqp": {"ack": True, "bindingVersion": "0.3.0"}},
            }
        doc["channels"], doc["operations"] = channels, operations
        return doc

    def errors(self, event, strict=False):
        """What is wrong with one CloudEvent (an empty list when it keeps the contract). ``strict``: the data
        may hold no field its schema does not declare (the suite's own test: it never sends more)."""
        found = [f"envelope: {e.message}" for e in _validator(self.envelope).iter_errors(event)]
        ce_type = event.get("type") if isinstance(event, dict) else None
        schema = self.schemas.get(ce_type)
        if schema is None:
            return [*found, f"no schema for type {ce_type!r}"]
        if strict:
            schema = _closed(schema)
        data = event.get("data")
        found += [f"data: {e.message}" for e in _validator(schema).iter_errors(data)]
        return found


NIK = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[a-z]{2,}", re.I)
PHONE = re.compile(r"(?<![0-9A-Za-z-])(\+62|62|0)8[0-9][0-9 -]{6,14}[0-9](?![0-9])")


def personal_data(event):
    """What in one CloudEvent looks like personal data: a field named after it, or a value shaped like a NIK,
    an email address or an Indonesian mobile number (anywhere, envelope included)."""
    found = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                if any(word in key.lower() for word in PERSONAL):
                    found.append(f"{path}{key}: a personal field")
                walk(item, f"{path}{key}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}{i}.")
        elif isinstance(value, str):
            for kind, pattern in (("NIK", NIK), ("email", EMAIL), ("phone", PHONE)):
                if pattern.search(value):
                    found.append(f"{path.rstrip('.')}: looks like a {kind}")

    walk(event, "")
    return found


def _validator(schema):
    import jsonschema  # the tests' and tools' need (requirements-dev.txt); the gateway only serves files

    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _closed(schema):
    schema = copy.deepcopy(schema)
    if schema.get("type") == "object":
        schema["additionalProperties"] = False
    return schema


class IntegrationContract(DependencyProvider):
    """``self.contract``: the contract files, read once (``INTEGRATION_CONTRACT_DIR``, else the repository's)."""

    def setup(self):
        self.contract = Contract(self.container.config.get("INTEGRATION_CONTRACT_DIR") or None)

    def get_dependency(self, worker_ctx):
        return self.contract
