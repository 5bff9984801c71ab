"""Forecast and statistics for supervisors."""

from marshmallow import RAISE, Schema, fields, validate


class Range(Schema):
    """A period of days: ``to`` not before ``from`` and at most 31 days in all (a rule between two parameters,
    which OpenAPI cannot state: 400 VALIDATION_ERROR naming ``to``)."""

    class Meta:
        unknown = RAISE

    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "first day (default: today)"})
    to = fields.Date(load_default=None, metadata={"description": "last day, not before from, at most 31 days in all"})


class NewDisruption(Schema):
    class Meta:
        unknown = RAISE

    from_ = fields.AwareDateTime(data_key="from", required=True, metadata={"description": "with its offset"})
    to = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))


class Disruption(Schema):
    disruption_id = fields.String(required=True)
    office_code = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from", required=True)
    to = fields.String(required=True)
    reason = fields.String(required=True)
    declared_at = fields.String()
    affected_bookings = fields.Integer(metadata={"description": "bookings told, that may move without it counting"})


class ForecastDay(Schema):
    date = fields.String(required=True)
    booked = fields.Integer(required=True)
    expected_no_show = fields.Float(required=True)
    expected_walk_in = fields.Float(required=True)
    expected_visitors = fields.Float(required=True)
    recommended_counters = fields.Integer(required=True)
    hours = fields.List(fields.Dict(), metadata={"description": "{hour, open_minutes, expected_arrivals, "
                                                                "recommended_counters} (Erlang C)"})  # fmt: skip
    service_minutes = fields.Float(metadata={"description": "measured mean service time"})
    service_level = fields.Dict(metadata={"description": "{target, within_minutes}"})
    backtest = fields.Dict(metadata={"description": "{days, mean_absolute_percentage_error}"})
    closed = fields.String(allow_none=True, metadata={"description": "holiday, closure or weekly; null when open"})


class StatsDay(Schema):
    date = fields.String(required=True)
    bookings = fields.Integer(required=True)
    cancellations = fields.Integer(required=True)
    no_shows = fields.Integer(required=True)
    walk_ins = fields.Integer(required=True)
    served = fields.Integer(required=True)
    mean_wait_minutes = fields.Float(allow_none=True)
    p90_wait_minutes = fields.Float(allow_none=True)
    mean_service_minutes = fields.Float(allow_none=True)
