"""The sender owns each event's data (its ``events.py``): receivers' schemas accept what it sends and ask for
nothing it does not send, receivers subscribe only to events a sender builds, and the test doubles that
stand in for a sender (or for its RPC answers) send nothing the real one would not."""

import importlib.util
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from antre_common.reservation_code import new_code
from antre_common.sealed_box import SealingKey, new_pair
from documents import events as documents_events
from documents.schemas import BookingCreatedData, ReviewArgs
from documents.service import DocumentsService
from gateway.service import GatewayService
from identity import events as identity_events
from identity.service import IdentityService
from integration.schemas import BookingNoShow
from integration.service import IntegrationService
from notification.schemas import EVENT_DATA
from notification.service import NotificationService
from payment import events as payment_events
from payment.schemas import BookingData as PaymentBookingData
from payment.service import PaymentService
from scheduling import bookings, catalogue, operations
from scheduling import events as scheduling_events
from scheduling.service import SchedulingService
from scheduling.settings import Settings

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
TZ = "Asia/Jakarta"
CATALOGUE = yaml.safe_load((REPO / "services/scheduling/scheduling/data/catalogue.yaml").read_text())
SERVICE_CODES = {s["code"] for s in CATALOGUE["services"]}


def _id(n):
    return f"00000000-0000-4000-8000-{n:012d}"


USER = SimpleNamespace(id=_id(1))
BOOKING = SimpleNamespace(
    id=_id(2),
    reservation_code=new_code(),
    user_id=_id(1),
    person_id=_id(1),
    office_code="JKS",
    service_code="paspor_baru",
    slot_id=_id(3),
    start_at=NOW + timedelta(days=2),
    end_at=NOW + timedelta(days=2, minutes=20),
    status="confirmed",
    reschedule_count=0,
    created_at=NOW,
    billing_code=None,
    fee_amount=None,
    payment_expires_at=None,
    receipt_number=None,
    priority=None,
)
PAID_BOOKING = SimpleNamespace(
    **dict(
        vars(BOOKING),
        id=_id(7),
        service_code="paspor_elektronik",
        status="awaiting_payment",
        billing_code="123456789012340",
        fee_amount=650000,
        payment_expires_at=NOW + timedelta(hours=2),
    )
)
BILL = SimpleNamespace(
    booking_id=PAID_BOOKING.id,
    reservation_code=PAID_BOOKING.reservation_code,
    user_id=PAID_BOOKING.user_id,
    billing_code=PAID_BOOKING.billing_code,
    amount=650000,
    currency="IDR",
    office_code="JKS",
    service_code="paspor_elektronik",
    receipt_number="ANT261201K7QDM2XP",
    paid_at=NOW,
    expires_at=NOW + timedelta(hours=2),
    closed_reason="deadline",
)
REFUND = SimpleNamespace(id=_id(8), transaction_id="TX-1", amount=650000, reason="bill_expired", created_at=NOW)
TICKET = SimpleNamespace(
    id=_id(4),
    ticket_number="B001",
    office_code="JKS",
    kind="booked",
    priority=None,
    status="completed",
    service_code="paspor_baru",
    counter="3",
    booking_id=BOOKING.id,
    issued_at=NOW,
    called_at=NOW + timedelta(minutes=5),
    started_at=NOW + timedelta(minutes=6),
    finished_at=NOW + timedelta(minutes=20),
    recalls=0,
)
DOCUMENT = SimpleNamespace(
    document_id=_id(5), booking_id=BOOKING.id, doc_type="kk", status="rejected", reason="the photo is blurred"
)
DOCUMENTS_BOOKING = SimpleNamespace(
    booking_id=BOOKING.id, reservation_code=BOOKING.reservation_code, user_id=BOOKING.user_id
)
DISRUPTION = SimpleNamespace(id=_id(7), office_code="JKS", starts_at=NOW, ends_at=NOW + timedelta(days=3),
                             reason="Listrik padam", declared_at=NOW)  # fmt: skip
VIEW = bookings.booking_dto(BOOKING, TZ)
OLD_SLOT = bookings._slot_ref(BOOKING, TZ)
NEW_SLOT = dict(OLD_SLOT, slot_id=_id(6), date="2026-12-04", start="2026-12-04T13:00:00+07:00")


RELEASE_VIEW = {
    "release_id": _id(7),
    "office_code": "JKS",
    "date": "2026-12-16",
    "kind": "daily",
    "opens_at": "2026-12-02T07:00:00+07:00",
    "waiting_room_opens_at": "2026-12-02T06:45:00+07:00",
    "seats": 250,
    "remaining": 250,
    "status": "open",
}
WAITLIST_ENTRY = SimpleNamespace(
    id=_id(8),
    user_id=_id(1),
    office_code="JKS",
    service_code="paspor_baru",
    date=(NOW + timedelta(days=3)).date(),
    offer_slot_id=_id(3),
    offer_expires_at=NOW + timedelta(minutes=30),
)


def as_json(data):
    """What a receiver gets: the data after the bus's JSON."""
    return json.loads(json.dumps(data, default=str))


# (source service, event type) -> what the sender's events.py builds
SENT = {
    ("identity", "account_deleted"): identity_events.account_deleted(USER.id),
    ("identity", "user_registered"): identity_events.user_registered(USER),
    ("identity", "otp_requested"): identity_events.otp_requested(
        USER, "sms", "verify", "482913", NOW, SealingKey(new_pair("o1")[1], "OTP_PUBLIC_KEY")
    ),
    ("identity", "dependent_registered"): identity_events.dependent_registered(_id(7), USER.id),
    ("identity", "sessions_revoked"): identity_events.sessions_revoked(USER.id, [_id(8)], NOW),
    # A booking of a service with a fee: every field a free one has, and its payment.
    ("scheduling", "booking_created"): scheduling_events.booking_created(bookings.booking_dto(PAID_BOOKING, TZ)),
    ("scheduling", "booking_cancelled"): scheduling_events.booking_cancelled(BOOKING, VIEW["date"], "citizen"),
    ("scheduling", "booking_rescheduled"): scheduling_events.booking_rescheduled(BOOKING, OLD_SLOT, NEW_SLOT),
    ("scheduling", "booking_transferred"): scheduling_events.booking_transferred(
        BOOKING.id, BOOKING.reservation_code, _id(7), BOOKING.user_id
    ),
    ("scheduling", "reminder_due"): scheduling_events.reminder_due(BOOKING, TZ, NOW),
    ("scheduling", "booking_no_show"): scheduling_events.booking_no_show(BOOKING),
    ("scheduling", "ticket_issued"): scheduling_events.ticket_issued(operations.ticket_dto(TICKET)),
    ("scheduling", "ticket_called"): scheduling_events.ticket_called(TICKET, "3", BOOKING),
    ("scheduling", "ticket_completed"): scheduling_events.ticket_completed(TICKET, BOOKING)[0],
    ("scheduling", "ticket_transferred"): scheduling_events.ticket_transferred(TICKET),
    ("scheduling", "ticket_requeued"): scheduling_events.ticket_requeued(TICKET),
    ("scheduling", "ticket_no_show"): scheduling_events.ticket_no_show(TICKET),
    ("scheduling", "booking_disrupted"): scheduling_events.booking_disrupted(BOOKING, TZ, DISRUPTION),
    ("scheduling", "disruption_declared"): scheduling_events.disruption_declared(DISRUPTION, 1),
    ("scheduling", "availability_changed"): scheduling_events.availability_changed("JKS", [NOW.date()]),
    ("scheduling", "booking_expired"): scheduling_events.booking_expired(PAID_BOOKING, VIEW["date"], "unpaid"),
    ("payment", "payment_received"): payment_events.payment_received(BILL),
    ("payment", "payment_refunded"): payment_events.payment_refunded(BILL, REFUND),
    ("payment", "bill_expired"): payment_events.bill_expired(BILL),
    ("payment", "bill_extended"): payment_events.bill_extended(BILL),
    ("payment", "payment_reminder_due"): payment_events.payment_reminder_due(BILL),
    ("scheduling", "release_opened"): scheduling_events.release_opened(RELEASE_VIEW),
    ("scheduling", "waitlist_offer"): scheduling_events.waitlist_offer(WAITLIST_ENTRY, "2026-12-04T09:00:00+07:00"),
    ("documents", "document_uploaded"): documents_events.document_uploaded(DOCUMENT),
    ("documents", "document_reviewed"): documents_events.document_reviewed(DOCUMENT, DOCUMENTS_BOOKING),
    ("documents", "document_viewed"): documents_events.document_viewed(
        DOCUMENT, DOCUMENTS_BOOKING, {"user_id": _id(9), "role": "officer", "office_code": "JKS"}
    ),
}
BY_TYPE = {event_type: as_json(data) for (_, event_type), data in SENT.items()}


def subscriptions(service_cls):
    found = set()
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if hasattr(entrypoint, "event_type"):
                found.add((entrypoint.source_service, entrypoint.event_type))
    return found


@pytest.mark.parametrize(
    "receiver",
    [
        NotificationService,
        DocumentsService,
        SchedulingService,
        PaymentService,
        IntegrationService,
        GatewayService,
        IdentityService,
    ],
)
def test_receivers_subscribe_only_to_events_a_sender_builds(receiver):
    assert subscriptions(receiver) - set(SENT) == set()


def test_identity_audits_document_views_as_documents_sends_them_without_personal_data():
    from identity.schemas import DocumentViewed

    schema = DocumentViewed()
    assert schema.validate(BY_TYPE["document_viewed"]) == {}
    assert set(schema.fields) == set(BY_TYPE["document_viewed"])  # ids, role and office: nothing personal


def test_the_gateway_reads_sessions_revoked_as_identity_sends_it():
    data = BY_TYPE["sessions_revoked"]
    assert data["session_ids"] == [_id(8)] and datetime.fromisoformat(data["expires_at"]) == NOW


@pytest.mark.parametrize("event_type", sorted(EVENT_DATA))
def test_notification_accepts_what_the_sender_sends_and_asks_for_nothing_more(event_type):
    schema = EVENT_DATA[event_type]()
    assert schema.validate(BY_TYPE[event_type]) == {}
    assert set(schema.fields) <= set(BY_TYPE[event_type])


def test_integration_accepts_the_no_show_and_asks_for_nothing_more():
    assert BookingNoShow().validate(BY_TYPE["booking_no_show"]) == {}
    assert set(BookingNoShow().fields) <= set(BY_TYPE["booking_no_show"])


def test_documents_accepts_booking_transferred_as_scheduling_sends_it():
    from documents.schemas import BookingTransferredData

    schema = BookingTransferredData()
    assert schema.validate(BY_TYPE["booking_transferred"]) == {}
    assert set(schema.fields) <= set(BY_TYPE["booking_transferred"])


def test_scheduling_accepts_dependent_registered_as_identity_sends_it():
    from scheduling.schemas import DependentRegistered

    schema = DependentRegistered()
    assert schema.validate(BY_TYPE["dependent_registered"]) == {}
    assert set(schema.fields) <= set(BY_TYPE["dependent_registered"])


def test_documents_accepts_booking_created_and_get_booking_as_scheduling_sends_them():
    schema = BookingCreatedData()  # read from the event and from get_booking's answer alike
    for data in (BY_TYPE["booking_created"], as_json(VIEW)):
        assert schema.validate(data) == {}
    assert set(schema.fields) <= set(BY_TYPE["booking_created"]) | set(VIEW)
    assert BY_TYPE["booking_rescheduled"]["new_slot"]["date"]  # documents moves its visit date with it


def test_a_booking_with_a_fee_tells_its_bill_to_notification_and_payment():
    created = as_json(scheduling_events.booking_created(bookings.booking_dto(PAID_BOOKING, TZ)))
    assert created["status"] == "awaiting_payment" and created["payment"]["billing_code"] == BILL.billing_code
    assert set(created["payment"]) == {"billing_code", "amount", "currency", "expires_at"}
    for event_type in ("booking_created", "booking_cancelled"):
        assert PaymentBookingData().validate(BY_TYPE[event_type]) == {}


def test_scheduling_reads_what_payment_sends():
    from scheduling import schemas

    for schema, event_type in (
        (schemas.PaymentReceived, "payment_received"),
        (schemas.BillExpired, "bill_expired"),
        (schemas.BillExtended, "bill_extended"),
    ):
        assert schema().validate(BY_TYPE[event_type]) == {}
        assert set(schema().fields) <= set(BY_TYPE[event_type])


def test_payment_events_for_the_ministry_of_finance_carry_nothing_personal():
    for data in (
        payment_events.payment_received_integration(BILL),
        payment_events.payment_refunded_integration(BILL, REFUND),
    ):
        assert not {"user_id", "reservation_code", "nik", "email", "phone", "full_name"} & set(data)


def sent_nothing_more(double, event_type):
    assert set(double) <= set(BY_TYPE[event_type]), (event_type, set(double) - set(BY_TYPE[event_type]))


def load_test_module(path):
    """A test module or conftest of a service, for its doubles (they cannot be imported by name)."""
    spec = importlib.util.spec_from_file_location(f"doubles_{path.parent.name}_{path.stem}", REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notification_doubles_send_what_the_senders_send():
    conftest = load_test_module(Path("services/notification/tests/service/conftest.py"))
    sent_nothing_more(conftest.booking_data(), "booking_created")
    sent_nothing_more(conftest.otp_data(), "otp_requested")
    assert EVENT_DATA["booking_created"]().validate(conftest.booking_data()) == {}
    assert conftest.SERVICE["code"] in SERVICE_CODES
    assert set(conftest.SERVICE) <= set(catalogue.service_dto(SimpleNamespace(**_service_row())))
    assert set(conftest.OFFICE) <= set(_office_answer())

    templates = load_test_module(Path("services/notification/tests/unit/test_templates.py"))
    message_events = {
        "otp": "otp_requested",
        "welcome": "user_registered",
        "dependent_registered": "dependent_registered",
        "booking_confirmed": "booking_created",
        "booking_cancelled": "booking_cancelled",
        "booking_rescheduled": "booking_rescheduled",
        "reminder": "reminder_due",
        "your_turn": "ticket_called",
        "document_rejected": "document_reviewed",
        "no_show": "booking_no_show",
        "payment_due": "booking_created",
        "payment_reminder": "payment_reminder_due",
        "payment_receipt": "payment_received",
        "booking_expired": "booking_expired",
        "payment_refunded": "payment_refunded",
        "booking_disrupted": "booking_disrupted",
        "waitlist_offer": "waitlist_offer",
    }
    for message_type, data in templates.EVENT_DATA.items():
        if message_type == "otp":  # what dispatch renders: the event's data with its sealed code opened
            data = {k: v for k, v in data.items() if k != "otp"}
        sent_nothing_more(data, message_events[message_type])
    assert templates.SERVICE["code"] in SERVICE_CODES and templates.BOOKING["service_code"] in SERVICE_CODES


def test_review_decisions_in_the_doubles_are_ones_documents_sends():
    decisions = set(ReviewArgs().fields["decision"].validate.choices)
    for folder in ("services/notification/tests", "tests/system"):
        for path in (REPO / folder).rglob("*.py"):
            written = set(re.findall(r'"decision": "(\w+)"', path.read_text()))
            assert written <= decisions, (path, written - decisions)


def test_the_documents_double_of_scheduling_answers_as_scheduling_does():
    conftest = load_test_module(Path("services/documents/tests/service/conftest.py"))
    booking = conftest.new_booking()
    assert set(booking) <= set(VIEW)
    assert BookingCreatedData().validate(booking) == {}
    assert booking["service_code"] in SERVICE_CODES and set(conftest.SERVICES) <= SERVICE_CODES
    service = conftest.FakeScheduling().get_service("paspor_baru")
    assert set(service) <= set(catalogue.service_dto(SimpleNamespace(**_service_row())))


def _service_row():
    svc = CATALOGUE["services"][0]
    return {k: svc.get(k) for k in ("code", "name", "name_en", "duration_minutes", "required_documents", "prepaid")}


def _office_answer():
    """``get_office``'s answer for the first office of the catalogue."""
    office = dict(CATALOGUE["defaults"], **CATALOGUE["offices"][0])
    row = SimpleNamespace(**{c: office.get(c) for c in catalogue.OFFICE_COLUMNS})
    return catalogue.office_dto(row, Settings(), NOW)
