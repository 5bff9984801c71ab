"""Scheduling service entrypoints: argument checks, then one call to ``actions.Scheduling``, which opens the
transactions and keeps the read cache coherent. Domain rules live beside this file, not here."""

from nameko.events import BROADCAST, event_handler

from antre_common.db import Database
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import rpc
from antre_common.timer import every
from scheduling import read_cache, schemas
from scheduling.actions import Scheduling
from scheduling.dependencies import ReadCacheProvider, SchedulingRuntime
from scheduling.models import OutboxEvent, ProcessedEvent
from scheduling.settings import Settings

AVAILABILITY_QUERY = schemas.AvailabilityQuery()  # built once: the read path is the hot one


class SchedulingService(ServiceBase):
    name = "scheduling"

    db = Database(OutboxEvent, ProcessedEvent)
    runtime = SchedulingRuntime()
    cache = ReadCacheProvider()

    @property
    def scheduling(self):
        return Scheduling(self.db, self.runtime.settings, self.cache)

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

    @rpc
    def update_capacity(self, office_code, changes):
        return self.scheduling.update_capacity(office_code, load(schemas.CapacityChange(), changes))

    # -- bookings -------------------------------------------------------------------------------------------

    @rpc
    def create_booking(self, booking):
        return self.scheduling.create_booking(load(schemas.NewBooking(), booking))

    @rpc
    def get_booking(self, reservation_code):
        return self.scheduling.get_booking(reservation_code)

    @rpc
    def list_bookings(self, user_id):
        return self.scheduling.list_bookings(user_id)

    @rpc
    def cancel_booking(self, action):
        return self.scheduling.cancel_booking(load(schemas.Cancel(), action))

    @rpc
    def reschedule_booking(self, action):
        return self.scheduling.reschedule_booking(load(schemas.Reschedule(), action))

    @rpc
    def render_qr(self, reservation_code, image_format="png"):
        """The QR image of a booking's code, base64 (RPC bodies are JSON)."""
        return self.scheduling.render_qr(reservation_code, image_format)

    # -- office operations (staff; the gateway checks the caller works at the office) ----------------------

    @rpc
    def check_in(self, office_code, reservation_code):
        return self.scheduling.check_in(office_code, reservation_code)

    @rpc
    def walk_in(self, office_code, visitor):
        return self.scheduling.walk_in(office_code, load(schemas.WalkIn(), visitor))

    @rpc
    def call_next(self, office_code, counter):
        return self.scheduling.call_next(office_code, counter)

    @rpc
    def ticket_step(self, request):
        return self.scheduling.ticket_step(load(schemas.TicketStep(), request))

    @rpc
    def office_queue(self, office_code):
        return self.scheduling.office_queue(office_code)

    @rpc
    def office_board(self, office_code):
        return self.scheduling.office_board(office_code)

    @rpc
    def office_forecast(self, office_code, date_from=None, date_to=None):
        return self.scheduling.office_forecast(office_code, date_from, date_to)

    @rpc
    def office_stats(self, office_code, date_from=None, date_to=None):
        return self.scheduling.office_stats(office_code, date_from, date_to)

    # -- timers ---------------------------------------------------------------------------------------------

    @every(Settings, "release_sweep_seconds")
    def release_slots(self):
        """Open the next day at the public release time; idempotent, safe on every replica."""
        return self.scheduling.release_slots()

    @every(Settings, "reminder_sweep_seconds")
    def send_reminders(self):
        return self.scheduling.send_reminders()

    @every(Settings, "no_show_sweep_seconds")
    def mark_no_shows(self):
        return self.scheduling.mark_no_shows()

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
