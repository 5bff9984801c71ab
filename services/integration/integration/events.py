"""Events integration publishes: the daily aggregates for statistics offices, as CloudEvents on
antre.integration (no personal data: counts and means per office, service and day). Like every event,
written to the outbox in the transaction that decided it (stats.py)."""

from antre_common import envelope

SOURCE = "/antre/integration"
DAILY_STATS = "id.go.imigrasi.antre.stats.daily.v1"


def cloud_event(ce_type, data):
    return envelope.cloud_event(SOURCE, ce_type, data)


def daily_stats(day, office_code, service_code, bookings, served, no_shows, mean_wait_seconds):
    return {
        "date": day.isoformat(),
        "office_code": office_code,
        "service_code": service_code,
        "bookings": bookings,
        "served": served,
        "no_shows": no_shows,
        "mean_wait_seconds": None if mean_wait_seconds is None else round(mean_wait_seconds),
    }


def emit(db, ce_type, data):
    db.add_integration_event(SOURCE, ce_type, data)
