"""Schema bases shared at both edges (gateway requests, service RPC arguments)."""

from datetime import UTC

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load


def unusable(text):
    """A NUL (PostgreSQL refuses it in text) or a lone UTF-16 surrogate (no UTF-8 encoding exists)."""
    return isinstance(text, str) and ("\x00" in text or any("\ud800" <= c <= "\udfff" for c in text))


def unusable_fields(data, where=""):
    """``{field: [message]}`` of every key or value, at any depth, that holds such a character."""
    bad = {}
    if isinstance(data, dict):
        for key, item in data.items():
            name = f"{where}.{key}" if where else str(key)
            safe = name.encode("utf-8", "replace").decode()
            if unusable(key):
                bad[safe] = ["unusable character"]
            bad.update(unusable_fields(item, name))
    elif isinstance(data, list | tuple):
        for n, item in enumerate(data):
            bad.update(unusable_fields(item, f"{where}[{n}]"))
    elif unusable(data):
        bad[where.encode("utf-8", "replace").decode() or "_schema"] = ["contains a NUL or an unpaired surrogate"]
    return bad


class Strict(Schema):
    """Unknown fields are an error, not silently dropped (DESIGN.md: "Unknown fields are rejected"); so is a
    NUL or a lone surrogate anywhere in what is loaded: every service refuses them itself at its edge (the
    gateway does too, but a service has other callers), before they reach a database that cannot store them."""

    class Meta:
        unknown = RAISE

    @pre_load
    def refuse_unusable_characters(self, data, **kwargs):
        bad = unusable_fields(data)
        if bad:
            raise ValidationError(bad)
        return data


class Lenient(Schema):
    """What another service sends: more fields than these may come (spec/EVENTS.md lists "at least")."""

    class Meta:
        unknown = EXCLUDE


class UtcDateTime(fields.AwareDateTime):
    """An aware date-time, loaded in UTC: Python takes offsets up to ±24 h, PostgreSQL only up to ±15:59 (a
    far offset was a 500 the contract tier found); a moment that UTC cannot hold (year 1 at +05:00) is invalid."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
