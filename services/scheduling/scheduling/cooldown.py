"""Cooldown after churn: a person who cancelled more than ``COOLDOWN_CANCELS`` times within
``COOLDOWN_WINDOW_DAYS`` books nothing new until ``COOLDOWN_DAYS`` after the last of those cancellations.

Only the person's own cancellations count (``cancel_reason = 'citizen'``): an office that cancels for a
disruption never puts anyone in a cooldown. The reasoning behind the defaults is in the README.
"""

from datetime import timedelta

from sqlalchemy import func, select

from scheduling.exceptions import BookingCooldown
from scheduling.models import Booking


def until(session, settings, now, person_ref):
    """When the person may book again, or None when they may now."""
    count, last = session.execute(
        select(func.count(), func.max(Booking.updated_at)).where(
            Booking.person_ref == person_ref,
            Booking.status == "cancelled",
            Booking.cancel_reason == "citizen",
            Booking.updated_at > now - timedelta(days=settings.cooldown_window_days),
        )
    ).one()
    if count <= settings.cooldown_cancels:
        return None
    end = last + timedelta(days=settings.cooldown_days)
    return end if end > now else None


def check(session, settings, now, person_ref):
    end = until(session, settings, now, person_ref)
    if end is not None:
        raise BookingCooldown("too many cancellations lately", until=end.isoformat())
