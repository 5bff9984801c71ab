"""Scheduling's office-floor and insight entrypoints, a part of ``service.py`` by the same rules
(docs/layout.md): check the arguments, call one method of ``self.scheduling``.

Staff of the office only, and scheduling checks that itself from the access token in the RPC context
(docs/security.md), whatever the gateway checked before: the office a ticket action is scoped to and the
staff member an action is recorded for come from the token, never from the arguments."""

from antre_common.auth import STAFF_ROLES, NotThePerson
from antre_common.errors import load
from antre_common.rpc import rpc
from scheduling import schemas

SUPERVISORS = ("supervisor", "admin")


class FloorEntrypoints:
    """Mixed into ``SchedulingService``, which provides ``scheduling``, ``identity`` and ``caller``."""

    def _staff_of(self, office_code, roles=STAFF_ROLES):
        """The verified staff member, who must work at ``office_code`` (admins work everywhere)."""
        person = self.caller.staff_member(*roles)
        if not person.works_at(office_code):
            raise NotThePerson("the signed-in staff member works at another office")
        return person

    def _as_staff(self, request, **actor):
        """A ticket action scoped to the verified staff member's office (None: an admin's, any office)."""
        person = self.caller.staff_member(*STAFF_ROLES)
        office = None if person.role == "admin" else person.office_code
        return dict(request, office_code=office, **{key: person.user_id for key in actor})

    @rpc
    def check_in(self, office_code, request):
        officer = self._staff_of(office_code)
        return self.scheduling.check_in(office_code, load(schemas.CheckIn(), dict(request, user_id=officer.user_id)))

    @rpc
    def walk_in(self, office_code, visitor):
        officer = self._staff_of(office_code)
        return self.scheduling.walk_in(office_code, load(schemas.WalkIn(), dict(visitor, user_id=officer.user_id)))

    @rpc
    def call_next(self, office_code, counter):
        self._staff_of(office_code)
        return self.scheduling.call_next(office_code, counter)

    @rpc
    def ticket_step(self, request):
        return self.scheduling.ticket_step(load(schemas.TicketStep(), self._as_staff(request)))

    @rpc
    def ticket_move(self, request):
        """recall / transfer / requeue (floor.py)."""
        return self.scheduling.ticket_move(load(schemas.TicketMove(), self._as_staff(request, user_id=True)))

    @rpc
    def office_bookings(self, query):
        query = load(schemas.OfficeDay(), query)
        self._staff_of(query["office_code"])
        return self.scheduling.office_bookings(query, self.identity.people)

    @rpc
    def office_quotas(self, query):
        query = load(schemas.OfficeDay(), query)
        self._staff_of(query["office_code"])
        return self.scheduling.office_quotas(query)

    @rpc
    def declare_disruption(self, office_code, disruption):
        supervisor = self._staff_of(office_code, SUPERVISORS)
        disruption = dict(disruption, user_id=supervisor.user_id)
        return self.scheduling.declare_disruption(office_code, load(schemas.NewDisruption(), disruption))

    @rpc
    def update_capacity(self, office_code, changes):
        self._staff_of(office_code, SUPERVISORS)
        return self.scheduling.update_capacity(office_code, load(schemas.CapacityChange(), changes))

    @rpc
    def create_release(self, release):
        release = load(schemas.NewRelease(), release)
        self._staff_of(release["office_code"], SUPERVISORS)
        return self.scheduling.create_release(release)

    @rpc
    def list_disruptions(self, office_code=None):
        """Current and coming disruptions (public: the status page)."""
        return self.scheduling.list_disruptions(office_code)

    @rpc
    def office_queue(self, office_code):
        self._staff_of(office_code)
        return self.scheduling.office_queue(office_code)

    @rpc
    def office_board(self, office_code):
        return self.scheduling.office_board(office_code)

    @rpc
    def office_forecast(self, office_code, date_from=None, date_to=None):
        self._staff_of(office_code, SUPERVISORS)
        return self.scheduling.office_forecast(office_code, date_from, date_to)

    @rpc
    def office_stats(self, office_code, date_from=None, date_to=None, fmt=None):
        self._staff_of(office_code, SUPERVISORS)
        return self.scheduling.office_stats(office_code, date_from, date_to, fmt)
