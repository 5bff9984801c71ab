"""Schema bases shared at both edges (gateway requests, service RPC arguments)."""

from marshmallow import EXCLUDE, RAISE, Schema


class Strict(Schema):
    """Unknown fields are an error, not silently dropped (DESIGN.md: "Unknown fields are rejected")."""

    class Meta:
        unknown = RAISE


class Lenient(Schema):
    """What another service sends: more fields than these may come (spec/EVENTS.md lists "at least")."""

    class Meta:
        unknown = EXCLUDE
