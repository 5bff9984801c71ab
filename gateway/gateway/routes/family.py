"""Family members (spec/API.md, "Population registry and family members"): the holder's family card from the
population registry, and the dependents the holder books for (``person_id`` on ``POST /api/v1/bookings``)."""

from antre_common.rpc import ServiceRpc
from gateway.http import api, client_ip
from gateway.schemas import identity as s

CITIZEN = ("citizen",)


class FamilyRoutes:
    identity = ServiceRpc("identity")

    @api("GET", "/api/v1/me/family", response=s.FamilyMember(many=True), auth=CITIZEN, tags=["family"])
    def family(self, request, user):
        """The other members of my family card (KK), as the population registry knows them."""
        return self.identity.family(user.user_id)

    @api("POST", "/api/v1/me/dependents", body=s.DependentRequest(), response=s.Dependent(), status=201,
         auth=CITIZEN, tags=["family"])  # fmt: skip
    def add_dependent(self, request, body, user):
        """A member of my family card without an account of their own: I book for them."""
        return self.identity.add_dependent(user.user_id, body["nik"], client_ip=client_ip(request))

    @api("GET", "/api/v1/me/dependents", response=s.Dependent(many=True), auth=CITIZEN, tags=["family"])
    def dependents(self, request, user):
        """The people I book for besides myself."""
        return self.identity.dependents(user.user_id)
