"""Schema bases shared at both edges (gateway requests, service RPC arguments)."""

from marshmallow import RAISE, Schema


class Strict(Schema):
    """Unknown fields are an error, not silently dropped (DESIGN.md: "Unknown fields are rejected")."""

    class Meta:
        unknown = RAISE
