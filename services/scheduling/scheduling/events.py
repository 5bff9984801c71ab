"""Events of spec/EVENTS.md, written to the outbox in the transaction of the change they report.

Booking events also leave the suite on ``antre.integration`` as CloudEvents 1.0, without the user id or
anything personal: other ministries get the booking id, office, service and times only.
"""

import uuid

from antre_common.envelope import utcnow
from antre_common.outbox import INTEGRATION_EXCHANGE

SOURCE = "/antre/scheduling"
INTEGRATION_TYPES = {
    "booking_created": "id.go.imigrasi.antre.booking.created.v1",
    "booking_cancelled": "id.go.imigrasi.antre.booking.cancelled.v1",
    "booking_rescheduled": "id.go.imigrasi.antre.booking.rescheduled.v1",
    "ticket_issued": "id.go.imigrasi.antre.ticket.issued.v1",
    "ticket_completed": "id.go.imigrasi.antre.ticket.completed.v1",
}
# Cache coherence between replicas (not a domain event): the office's availability changed on these dates
# (None: every date).
AVAILABILITY_CHANGED = "availability_changed"


def cloud_event(ce_type, data):
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": SOURCE,
        "type": ce_type,
        "time": utcnow().isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def emit(db, event_type, data, integration=None):
    """``data`` goes to scheduling.events; ``integration`` (if given) to other ministries."""
    db.add_event(event_type, data)
    if integration is not None:
        ce_type = INTEGRATION_TYPES[event_type]
        db.add_event(ce_type, integration, exchange=INTEGRATION_EXCHANGE, payload=cloud_event(ce_type, integration))


def availability_changed(db, office_code, dates=None):
    db.add_event(
        AVAILABILITY_CHANGED,
        {"office_code": office_code, "dates": None if dates is None else sorted({d.isoformat() for d in dates})},
    )
