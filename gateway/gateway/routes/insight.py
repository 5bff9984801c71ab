"""Forecast and statistics: the supervisors of that office, and admins."""

from werkzeug.wrappers import Response

from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api
from gateway.schemas.insight import ForecastDay, Range, StatsDay

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
         tags=["insight"])  # fmt: skip
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
