"""Scheduling's office-floor and insight entrypoints (staff of the office; the gateway checks the caller
works there), a part of ``service.py`` by the same rules (docs/layout.md): check the arguments, call one
method of ``self.scheduling``."""

from antre_common.errors import load
from antre_common.rpc import rpc
from scheduling import schemas


class FloorEntrypoints:
    """Mixed into ``SchedulingService``, which provides ``scheduling`` and ``identity``."""

    @rpc
    def check_in(self, office_code, request):
        return self.scheduling.check_in(office_code, load(schemas.CheckIn(), request))

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
    def ticket_move(self, request):
        """recall / transfer / requeue (floor.py)."""
        return self.scheduling.ticket_move(load(schemas.TicketMove(), request))

    @rpc
    def office_bookings(self, query):
        return self.scheduling.office_bookings(load(schemas.OfficeDay(), query), self.identity.people)

    @rpc
    def office_quotas(self, query):
        return self.scheduling.office_quotas(load(schemas.OfficeDay(), query))

    @rpc
    def declare_disruption(self, office_code, disruption):
        return self.scheduling.declare_disruption(office_code, load(schemas.NewDisruption(), disruption))

    @rpc
    def list_disruptions(self, office_code=None):
        """Current and coming disruptions (public: the status page)."""
        return self.scheduling.list_disruptions(office_code)

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
    def office_stats(self, office_code, date_from=None, date_to=None, fmt=None):
        return self.scheduling.office_stats(office_code, date_from, date_to, fmt)
