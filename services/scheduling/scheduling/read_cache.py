"""What scheduling's reads keep in the process: each office-day's slots, each office (with its closures), the
office list and the services, on antre_common's change-dropped cache.

A read for a cached day touches no database. Every change of seats (booking, cancel, reschedule, release,
capacity) writes an ``availability_changed`` event (or a booking event) in its own transaction; the process
that made the change drops its entries right after the commit (``actions.Scheduling._write``), and every
replica drops its entries when the event reaches its broadcast queue (milliseconds later, via the outbox
relay). A TTL bounds staleness if a broadcast is ever lost. A stale read can only show a seat that has just
gone (the booking then answers SLOT_FULL) or hide one for a moment: the booking itself is always checked
against the database.
"""

from datetime import date

from antre_common.cache import ChangeDroppedCache

ALL_OFFICES = "*offices"  # scope of the office list: any office's change drops it
CATALOGUE = "*catalogue"  # scope of the services: changed only by a restart with a new data file (TTL)


class ReadCache:
    def __init__(self, ttl):
        self.answers = ChangeDroppedCache(ttl, maxsize=65536)

    def get_days(self, office_code, days, load):
        """``{date: rows}``; the missing days are loaded together with ``load(office_code, dates)``."""
        return self.answers.get_many(office_code, days, load)

    def office(self, code, fetch):
        return self.answers.get((code, "office"), fetch)

    def offices(self, fetch):
        return self.answers.get((ALL_OFFICES,), fetch)

    def services(self, fetch):
        return self.answers.get((CATALOGUE, "services"), fetch)

    def service(self, code, fetch):
        return self.answers.get((CATALOGUE, "service", code), fetch)

    def invalidate(self, office_code, days=None):
        """Drop these days of the office (None: the office, its days and the office list)."""
        if days is None:
            self.answers.drop(office_code)
            self.answers.drop(ALL_OFFICES)
        else:
            self.answers.drop(office_code, [d if isinstance(d, date) else date.fromisoformat(d) for d in days])


def changed_by(event_type, data):
    """``(office_code, dates)`` that an event of this service says changed (dates None: the whole office)."""
    if event_type == "availability_changed":
        return data["office_code"], data["dates"]
    if event_type == "booking_rescheduled":
        return data["office_code"], [data["old_slot"]["date"], data["new_slot"]["date"]]
    return data["office_code"], [data["date"]]  # booking_created, booking_cancelled
