"""Errors scheduling raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import (  # noqa: F401
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    ServiceError,
    ValidationError,
)


class OfficeNotFound(NotFound):
    code = "OFFICE_NOT_FOUND"


class ServiceNotFound(NotFound):
    code = "SERVICE_NOT_FOUND"


class SlotNotFound(NotFound):
    code = "SLOT_NOT_FOUND"


class BookingNotFound(NotFound):
    """Also for someone else's booking: its existence is not revealed."""

    code = "BOOKING_NOT_FOUND"


class SlotFull(ServiceError):
    code = "SLOT_FULL"


class SlotUnavailable(ServiceError):
    """The slot has started or passed, or was closed after it was offered."""

    code = "SLOT_UNAVAILABLE"


class SlotMismatch(ServiceError):
    """A slot of another office than the booking's (reschedule stays at the same office)."""

    code = "SLOT_MISMATCH"


class DateOutOfWindow(ServiceError):
    code = "DATE_OUT_OF_WINDOW"


class AlreadyBooked(ServiceError):
    code = "ALREADY_BOOKED"


class BookingNotActive(ServiceError):
    """Cancelled, completed, no-show, … : nothing to cancel or move."""

    code = "BOOKING_NOT_ACTIVE"


class CancelTooLate(ServiceError):
    code = "CANCEL_TOO_LATE"


class RescheduleTooLate(ServiceError):
    code = "RESCHEDULE_TOO_LATE"


class RescheduleLimitReached(ServiceError):
    code = "RESCHEDULE_LIMIT_REACHED"


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


class CheckInWrongDay(ServiceError):
    """Check-in of a booking for another day."""

    code = "CHECK_IN_WRONG_DAY"


class TicketInvalidTransition(ServiceError):
    """The ticket is not in a state that allows this step (e.g. completing a ticket nobody called)."""

    code = "TICKET_INVALID_TRANSITION"


class IdentityNotConfirmed(ServiceError):
    """Check-in before the officer confirmed the KTP matches the booking's holder."""

    code = "IDENTITY_NOT_CONFIRMED"


class CounterClosed(ServiceError):
    """A transfer to a counter the office does not have open (outside 1..its counters)."""

    code = "COUNTER_CLOSED"


class RequeueDayOver(ServiceError):
    """A requeue of a no-show from an earlier day: a late arrival rejoins only on the same day."""

    code = "REQUEUE_DAY_OVER"


class WalkInQuotaReached(ServiceError):
    """The day's share of capacity for walk-ins is used up."""

    code = "WALK_IN_QUOTA_REACHED"


class PriorityQuotaReached(ServiceError):
    """The day's share of capacity for priority visitors is used up (serve them without priority)."""

    code = "PRIORITY_QUOTA_REACHED"


class DisruptionInPast(ServiceError):
    """A disruption that has already ended."""

    code = "DISRUPTION_IN_PAST"


class DisruptionOverlaps(ServiceError):
    """A disruption overlapping one already declared for the office."""

    code = "DISRUPTION_OVERLAPS"


class ReleaseNotFound(NotFound):
    code = "RELEASE_NOT_FOUND"


class ReleaseClosed(ServiceError):
    """The release is sold out or its day has passed: nothing to queue for."""

    code = "RELEASE_CLOSED"


class WaitingRoomNotOpen(ServiceError):
    """Too early: the waiting room opens at ``waiting_room_opens_at``."""

    code = "WAITING_ROOM_NOT_OPEN"


class ReleaseExists(ServiceError):
    """The office already has a release for that day."""

    code = "RELEASE_EXISTS"


class QueuePlaceNotFound(NotFound):
    code = "QUEUE_PLACE_NOT_FOUND"


class AdmissionRequired(Forbidden):
    """A slot of a release with people waiting, booked without a valid admission (or before one's turn)."""

    code = "ADMISSION_REQUIRED"


class AdmissionInvalid(Forbidden):
    """Unknown, someone else's, or for another release: the same answer, so an admission cannot be probed."""

    code = "ADMISSION_INVALID"


class AdmissionExpired(Forbidden):
    code = "ADMISSION_EXPIRED"


class AdmissionUsed(ServiceError):
    """An admission is good for one seat; this one booked already."""

    code = "ADMISSION_USED"


class BookingCooldown(ServiceError):
    """Too many cancellations lately: no new booking until ``until``."""

    code = "BOOKING_COOLDOWN"


class WaitlistNotFound(NotFound):
    code = "WAITLIST_NOT_FOUND"


class SeatsAvailable(ServiceError):
    """A waitlist for a day that still has seats: book instead."""

    code = "SEATS_AVAILABLE"


class OfferNotActive(ServiceError):
    """Accepting an entry that has no live offer (still waiting, expired, booked or cancelled)."""

    code = "OFFER_NOT_ACTIVE"


class WaitlistNotForPrepaid(ServiceError):
    """A waitlist for a service paid before the visit: an offer would confirm a seat without its bill."""

    code = "WAITLIST_NOT_FOR_PREPAID"
