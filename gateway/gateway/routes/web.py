"""The web app: the citizen app at /, the office console at /staff/, the board and the status page.

Every page of an app is the same small HTML shell (its address is the app's own route, so a deep link or a
reload loads the app, never a 404); the shell loads the app's hashed bundle, which then uses the same JSON
API as a mobile app. Nothing is rendered here from personal data.
"""

from werkzeug.wrappers import Response

from gateway.errors import GatewayError
from gateway.http import api
from gateway.web_assets import SECURITY_HEADERS, WebAssets

# The citizen app's own addresses (web/src/citizen/main.js routes the rest of the path).
CITIZEN_PAGES = "register,verify,login,book,bookings,help,check,messages,waitlist,release,forgot,reset,family"


def serve(request, asset, status=200, security=True):
    if asset is None:
        raise GatewayError("NOT_FOUND")
    gzipped = asset.gzipped is not None and "gzip" in request.accept_encodings
    response = Response(asset.gzipped if gzipped else asset.body, status=status, content_type=asset.content_type)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    if asset.gzipped is not None:
        response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = asset.cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    if security:  # pages; files need only nosniff
        response.headers.update(SECURITY_HEADERS)
    response.set_etag(asset.etag)
    return response.make_conditional(request) if status == 200 else response


class WebRoutes:
    web = WebAssets()

    def _page(self, request, app, status=200):
        shell = self.web.shell(app)
        if shell is None:
            raise GatewayError("SERVICE_UNAVAILABLE", service="web")
        return serve(request, shell, status)

    @api("GET", "/", documented=False)
    def citizen_home(self, request):
        """The citizen app."""
        return self._page(request, "citizen")

    @api("GET", f"/<any({CITIZEN_PAGES}):page>", documented=False)
    def citizen_page(self, request, page):
        """A page of the citizen app, loaded directly (a link, a reload, the home-screen icon)."""
        return self._page(request, "citizen")

    @api("GET", f"/<any({CITIZEN_PAGES}):page>/<path:rest>", documented=False)
    def citizen_deep_page(self, request, page, rest):
        """A deeper page of the citizen app (``/bookings/ABCD2345``)."""
        return self._page(request, "citizen")

    @api("GET", "/staff", documented=False)
    def staff_home(self, request):
        """The office console."""
        return self._page(request, "staff")

    @api("GET", "/staff/", documented=False)
    def staff_home_slash(self, request):
        """The office console at its documented address (werkzeug matches "/staff" without the slash only)."""
        return self._page(request, "staff")

    @api("GET", "/staff/<path:rest>", documented=False)
    def staff_page(self, request, rest):
        """A page of the office console (``/staff/queue``)."""
        return self._page(request, "staff")

    @api("GET", "/board/<office_code>", documented=False)
    def board(self, request, office_code):
        """The board for a screen in the office's waiting hall."""
        return self._page(request, "board")

    @api("GET", "/status", documented=False)
    def status_page(self, request):
        """Each part of the suite, up or down, in plain words."""
        return self._page(request, "status")

    @api("GET", "/assets/<path:name>", documented=False)
    def asset(self, request, name):
        """A built file under a content-hashed name: cached for a year."""
        return serve(request, self.web.get(f"/assets/{name}"), security=False)

    @api("GET", "/sw.js", documented=False)
    def service_worker(self, request):
        """The citizen app's service worker (at the root, so that it may serve every citizen page offline)."""
        return serve(request, self.web.get("/sw.js"))

    @api("GET", "/manifest.webmanifest", documented=False)
    def web_manifest(self, request):
        """The web app manifest: the citizen app can be added to the home screen."""
        return serve(request, self.web.get("/manifest.webmanifest"), security=False)

    def not_found_page(self, request):
        """An unknown address opened in a browser: the citizen app's "page not found", with a 404 status."""
        return self._page(request, "citizen", status=404)
