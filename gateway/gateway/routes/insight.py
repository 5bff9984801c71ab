"""Forecast and statistics: the supervisors of that office, and admins."""

from werkzeug.wrappers import Response

from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api
from gateway.schemas.insight import Disruption, ForecastDay, NewDisruption, Range, StatsDay

SUPERVISORS = ("supervisor", "admin")


def _iso(value):
    return value.isoformat() if value is not None else None


class InsightRoutes:
    scheduling = ServiceRpc("scheduling")

    @api("GET", "/api/v1/offices/<code>/forecast", query=Range(), response=ForecastDay(many=True),
         auth=SUPERVISORS, tags=["insight"])  # fmt: skip
    def office_forecast(self, request, code, query, user):
        """Expected visitors per day and the counters to open (default: the next 7 days)."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        return self.scheduling.office_forecast(code, _iso(query["from_"]), _iso(query["to"]))

    @api("GET", "/api/v1/offices/<code>/stats", query=Range(), response=StatsDay(many=True), auth=SUPERVISORS,
         media=("text/csv",), tags=["insight"])  # fmt: skip
    def office_stats(self, request, code, query, user):
        """Bookings, cancellations, no-shows, walk-ins, served, waits and service times (default: last 7 days);
        CSV on ``Accept: text/csv`` (office-local dates, aggregates only)."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            text = self.scheduling.office_stats(code, _iso(query["from_"]), _iso(query["to"]), "csv")
            response = Response(text, status=200, content_type="text/csv; charset=utf-8")
            response.headers["Content-Disposition"] = f'attachment; filename="antre-{code}-stats.csv"'
            return response
        return self.scheduling.office_stats(code, _iso(query["from_"]), _iso(query["to"]))

    @api("POST", "/api/v1/offices/<code>/disruptions", body=NewDisruption(), response=Disruption(), status=201,
         auth=SUPERVISORS, tags=["insight"])  # fmt: skip
    def declare_disruption(self, request, code, body, user):
        """An outage or closure of the office for a period: the bookings in it are told and may reschedule
        without it counting; the status page shows it."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        period = {"from": body["from_"].isoformat(), "to": body["to"].isoformat(), "reason": body["reason"]}
        return self.scheduling.declare_disruption(code, dict(period, user_id=user.user_id))

    @api("GET", "/api/v1/offices/<code>/disruptions", response=Disruption(many=True), tags=["insight"])
    def office_disruptions(self, request, code):
        """Public: the office's disruptions under way or to come."""
        return self.scheduling.list_disruptions(code)
