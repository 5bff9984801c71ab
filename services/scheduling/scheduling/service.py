"""Scheduling service entrypoints: argument checks, then one call to ``actions.Scheduling``, which opens the
transactions and keeps the read cache coherent. Domain rules live beside this file, not here.

A citizen's call names its ``user_id``; it must be the person of the access token in the RPC context, which
scheduling verifies itself (``self.caller.person_is``, docs/security.md)."""

from nameko.events import BROADCAST

from antre_common.auth import STAFF_ROLES, Caller
from antre_common.consumers import event_handler
from antre_common.db import Database
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import ServiceRpc, rpc
from antre_common.timer import every
from scheduling import read_cache, schemas
from scheduling.dependencies import ReadCacheProvider, SchedulingRuntime
from scheduling.models import OutboxEvent, ProcessedEvent
from scheduling.payments import Payments
from scheduling.release_actions import FairRelease
from scheduling.service_floor import FloorEntrypoints
from scheduling.settings import Settings

AVAILABILITY_QUERY = schemas.AvailabilityQuery()  # built once: the read path is the hot one


class SchedulingService(FloorEntrypoints, ServiceBase):
    name = "scheduling"

    db = Database(OutboxEvent, ProcessedEvent)
    runtime = SchedulingRuntime()
    cache = ReadCacheProvider()
    identity = ServiceRpc("identity")  # holders of the day's bookings (people)

    payment = ServiceRpc("payment")  # only for services with a fee (payments.py)
    caller = Caller()

    @property
    def scheduling(self):
        return FairRelease(self.db, self.runtime.settings, self.cache, payment=self.payment)  # + releases, waitlist

    def _own(self, args):
        """``args`` of a citizen's call, once its ``user_id`` is the verified person's; without one (staff
        acting for the office, ``BookingAction``) the verified person must be staff."""
        if args.get("user_id") is None:
            self.caller.staff_member(*STAFF_ROLES)
        else:
            self.caller.person_is(args["user_id"])
        return args

    # -- catalogue ------------------------------------------------------------------------------------------

    @rpc
    def list_offices(self):
        return self.scheduling.list_offices()

    @rpc
    def get_office(self, code):
        return self.scheduling.get_office(code)

    @rpc
    def list_services(self):
        return self.scheduling.list_services()

    @rpc
    def get_service(self, code):
        return self.scheduling.get_service(code)

    @rpc
    def get_availability(self, query):
        return self.scheduling.availability(load(AVAILABILITY_QUERY, query))

    # -- bookings -------------------------------------------------------------------------------------------

    @rpc
    def create_booking(self, booking):
        return self.scheduling.create_booking(self._own(load(schemas.NewBooking(), booking)))

    @rpc
    def get_booking(self, reservation_code):
        return self.scheduling.get_booking(reservation_code)

    @rpc
    def list_bookings(self, user_id):
        self.caller.person_is(user_id)
        return self.scheduling.list_bookings(user_id)

    @rpc
    def cancel_booking(self, action):
        return self.scheduling.cancel_booking(self._own(load(schemas.Cancel(), action)))

    @rpc
    def reschedule_booking(self, action):
        return self.scheduling.reschedule_booking(self._own(load(schemas.Reschedule(), action)))

    @rpc
    def render_qr(self, reservation_code, image_format="png"):
        """The QR image of a booking's code, base64 (RPC bodies are JSON)."""
        return self.scheduling.render_qr(reservation_code, image_format)

    # -- releases, waiting rooms, waitlist (release_actions.py) -------------------------------------------

    @rpc
    def list_releases(self, office_code):
        return self.scheduling.list_releases(office_code)

    @rpc
    def queue_place(self, request, join=False):
        q = self._own(load(schemas.QueueRequest(), request))
        return self.scheduling.join_queue(q) if join else self.scheduling.queue_place(q)

    @rpc
    def join_waitlist(self, entry):
        return self.scheduling.join_waitlist(self._own(load(schemas.WaitlistJoin(), entry)))

    @rpc
    def my_waitlist(self, user_id):
        self.caller.person_is(user_id)
        return self.scheduling.my_waitlist(user_id)

    @rpc
    def waitlist_action(self, action, accept=False):
        a = self._own(load(schemas.WaitlistAction(), action))
        return self.scheduling.accept_offer(a) if accept else self.scheduling.leave_waitlist(a)

    # -- timers ---------------------------------------------------------------------------------------------

    @every(Settings, "release_sweep_seconds")
    def release_slots(self):
        """Open the next day at the public release time; idempotent, safe on every replica."""
        return self.scheduling.release_slots()

    @every(Settings, "reminder_sweep_seconds")
    def send_reminders(self):
        return self.scheduling.send_reminders()

    @every(Settings, "waitlist_sweep_seconds")
    def expire_offers(self):
        return self.scheduling.expire_offers()

    @every(Settings, "no_show_sweep_seconds")
    def mark_no_shows(self):
        return self.scheduling.mark_no_shows()

    # -- payment's verdicts on bills (payments.py) ---------------------------------------------------------------

    @event_handler("payment", "payment_received")
    def on_payment_received(self, envelope):
        Payments(self.db, self.cache, self.runtime.settings).on_payment_received(envelope)

    @event_handler("payment", "bill_expired")
    def on_bill_expired(self, envelope):
        Payments(self.db, self.cache, self.runtime.settings).on_bill_expired(envelope)

    @event_handler("payment", "bill_extended")
    def on_bill_extended(self, envelope):
        Payments(self.db, self.cache, self.runtime.settings).on_bill_extended(envelope)

    @event_handler("identity", "dependent_registered")
    def on_dependent_registered(self, envelope):
        self.scheduling.dependent_registered(load(schemas.DependentRegistered(), envelope["data"]), envelope)

    # -- cache coherence: every replica drops its cached days when seats change anywhere (broadcast: one queue
    # per process) -------------------------------------------------------------------------------------------

    @event_handler("scheduling", "availability_changed", handler_type=BROADCAST, reliable_delivery=False)
    def on_availability_changed(self, envelope):
        self.cache.invalidate(*read_cache.changed_by(envelope["type"], envelope["data"]))

    @event_handler("scheduling", "booking_created", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_created(self, envelope):
        self.cache.invalidate(*read_cache.changed_by(envelope["type"], envelope["data"]))

    @event_handler("scheduling", "booking_cancelled", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_cancelled(self, envelope):
        self.cache.invalidate(*read_cache.changed_by(envelope["type"], envelope["data"]))

    @event_handler("scheduling", "booking_rescheduled", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_rescheduled(self, envelope):
        self.cache.invalidate(*read_cache.changed_by(envelope["type"], envelope["data"]))
