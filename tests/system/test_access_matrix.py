"""The security review's route × role matrix (issue 17), as data: every route a person or staff member can
reach with a booking, a document, a ticket or an office, asked by every kind of caller, with the status the
contract (spec/API.md, docs/contracts.md) says they get.

Who asks (``ROLES``): nobody signed in; the citizen who booked (``owner``); another citizen; an officer and a
supervisor of the office the booking, ticket or office belongs to (``*_here``); an officer and a supervisor of
another office (``*_elsewhere``); a national admin.

What they get:
  200/201/204  allowed (call-next: 200 with the ticket called, or 204 when nobody waits)
  401          no token
  403          signed in, but the role or the office may not do this; used when the caller may know the
               thing exists (offices are public, the owner knows their document, staff of the office see
               the booking) or before anything is looked up (the route is for other roles)
  HIDDEN (404) the thing exists but is none of theirs: answered exactly as for one that does not exist, so
               reservation codes, document ids and ticket ids cannot be probed (API.md: "someone else's
               resource 404 (never reveal it exists)")

State: one booking (SMG, its owner's) serves every booking and document route; a second one, moved to today,
is checked in. Ticket routes use tickets of MDN, the "other" office of the booking routes (so for them
``*_here`` is MDN's staff). Cells run denied first, allowed last, so a state change never decides another
cell; a step that takes a ticket out of its state gets a fresh ticket per allowed cell.

Nothing personal is printed: failures name the route, the role, the status and the problem's ``code`` only.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from documents import samples

from .people import PASSWORD, admin_access_token
from .test_messages import move_to_now
from .tokens import bearer, citizen, mint, staff

OFFICE, OTHER_OFFICE, SERVICE = "SMG", "MDN", "paspor_baru"  # no other system test uses these two offices

ROLES = (
    "anonymous",
    "owner",
    "other_citizen",
    "officer_here",
    "supervisor_here",
    "officer_elsewhere",
    "supervisor_elsewhere",
    "admin",
)
HIDDEN = 404  # exists, but answered as if it did not (see above)
CALLED = (200, 204)  # call-next: a ticket called, or nobody waiting


def row(anonymous, owner, other_citizen, officer_here, supervisor_here, officer_elsewhere, supervisor_elsewhere,
        admin):  # fmt: skip
    return dict(zip(ROLES, (anonymous, owner, other_citizen, officer_here, supervisor_here, officer_elsewhere,
                            supervisor_elsewhere, admin), strict=True))  # fmt: skip


# fmt: off
MATRIX = {
    #                                   anon  owner   other   off_here sup_here off_else sup_else admin
    # Bookings: the owner's; staff of its office may look it up (check-in); citizen-only actions are 403 for staff.
    "booking read":                row(401,  200,    HIDDEN, 200,     200,     HIDDEN,  HIDDEN,  200),
    "booking list":                row(401,  200,    200,    403,     403,     403,     403,     403),
    "booking qr":                  row(401,  200,    HIDDEN, 200,     200,     HIDDEN,  HIDDEN,  200),
    # Documents (documents decides: owner or staff of the booking's office; the owner uploads, staff review).
    "document checklist":          row(401,  200,    HIDDEN, 200,     200,     HIDDEN,  HIDDEN,  200),
    "document content":            row(401,  200,    HIDDEN, 200,     200,     HIDDEN,  HIDDEN,  200),
    "document upload":             row(401,  201,    HIDDEN, 403,     403,     HIDDEN,  HIDDEN,  403),
    "document review":             row(401,  403,    HIDDEN, 200,     200,     HIDDEN,  HIDDEN,  200),
    "office documents":            row(401,  403,    403,    200,     200,     403,     403,     200),
    "office visits":               row(401,  403,    403,    200,     200,     403,     403,     200),
    # The owner's own changes (citizens only; staff never act for a citizen here).
    "booking reschedule":          row(401,  200,    HIDDEN, 403,     403,     403,     403,     403),
    "booking cancel":              row(401,  200,    HIDDEN, 403,     403,     403,     403,     403),
    # Office operations: staff of the office (admins anywhere); the office itself is public, so 403.
    "check-in":                    row(401,  403,    403,    201,     201,     403,     403,     201),
    "office bookings":             row(401,  403,    403,    200,     200,     403,     403,     200),
    "walk-in":                     row(401,  403,    403,    201,     201,     403,     403,     201),
    "call-next":                   row(401,  403,    403,    CALLED,  CALLED,  403,     403,     CALLED),
    "queue":                       row(401,  403,    403,    200,     200,     403,     403,     200),
    "quotas":                      row(401,  403,    403,    200,     200,     403,     403,     200),
    # Ticket steps: ticket ids are opaque, so another office's ticket is HIDDEN.
    "ticket start":                row(401,  403,    403,    200,     200,     HIDDEN,  HIDDEN,  200),
    "ticket complete":             row(401,  403,    403,    200,     200,     HIDDEN,  HIDDEN,  200),
    "ticket no-show":              row(401,  403,    403,    200,     200,     HIDDEN,  HIDDEN,  200),
    "ticket recall":               row(401,  403,    403,    200,     200,     HIDDEN,  HIDDEN,  200),
    "ticket transfer":             row(401,  403,    403,    200,     200,     HIDDEN,  HIDDEN,  200),
    "ticket requeue":              row(401,  403,    403,    200,     200,     HIDDEN,  HIDDEN,  200),
    # Insight and capacity: supervisors of the office, and admins.
    "stats":                       row(401,  403,    403,    403,     200,     403,     403,     200),
    "forecast":                    row(401,  403,    403,    403,     200,     403,     403,     200),
    "capacity":                    row(401,  403,    403,    403,     200,     403,     403,     200),
    # Staff accounts and the audit log: admins only.
    "staff create":                row(401,  403,    403,    403,     403,     403,     403,     201),
    "staff disable":               row(401,  403,    403,    403,     403,     403,     403,     200),
    "audit":                       row(401,  403,    403,    403,     403,     403,     403,     200),
    # Other admin powers: other ministries' clients, the payment channel.
    "integration clients":         row(401,  403,    403,    403,     403,     403,     403,     200),
    "payment channel":             row(401,  403,    403,    403,     403,     403,     403,     200),
}
# fmt: on


def allowed(expected):
    return (expected if isinstance(expected, tuple) else (expected,))[0] < 300


def cells():
    """Every (route, role), the denied callers of a route before the allowed ones."""
    for route, expected in MATRIX.items():
        for role in sorted(ROLES, key=lambda r: allowed(expected[r])):
            yield pytest.param(route, role, id=f"{route}-{role}".replace(" ", "_"))


@dataclass
class World:
    """The people and things the matrix asks about, made once for the module."""

    stack: object
    gateway: object
    headers: dict = field(default_factory=dict)
    tickets: dict = field(default_factory=dict)
    counter: int = 0

    def as_(self, role, **extra):
        return {**self.headers[role], **extra}

    def on_ticket_office(self, role):
        """Ticket routes are about MDN's tickets: "here" is MDN, "elsewhere" SMG."""
        swap = {"officer_here": "officer_elsewhere", "supervisor_here": "supervisor_elsewhere",
                "officer_elsewhere": "officer_here", "supervisor_elsewhere": "supervisor_here"}  # fmt: skip
        return self.as_(swap.get(role, role))

    # -- tickets of MDN in the state a step needs -------------------------------------------------------------

    def walk_in(self):
        made = self.gateway.post(f"/api/v1/offices/{OTHER_OFFICE}/walk-ins", json={"service_code": SERVICE},
                                 headers=self.as_("officer_elsewhere"))  # fmt: skip
        assert made.status_code == 201, problem_of(made)
        return made.json()["ticket_id"]

    def called(self):
        """A fresh ticket called to a counter; whoever waited before it is served and done first."""
        ticket_id = self.walk_in()
        self.counter = self.counter % 6 + 1
        officer = self.as_("officer_elsewhere")
        for _ in range(40):
            call = self.gateway.post(f"/api/v1/offices/{OTHER_OFFICE}/counters/{self.counter}/call-next",
                                     headers=officer)  # fmt: skip
            assert call.status_code == 200, problem_of(call)
            if call.json()["ticket_id"] == ticket_id:
                return ticket_id
            for step in ("start", "complete"):  # someone else: served, and the counter is free again
                done = self.gateway.post(f"/api/v1/tickets/{call.json()['ticket_id']}/{step}", headers=officer)
                assert done.status_code == 200, problem_of(done)
        raise AssertionError("the fresh ticket was never called")

    def stepped(self, step):
        ticket_id = self.called()
        moved = self.gateway.post(f"/api/v1/tickets/{ticket_id}/{step}", headers=self.as_("officer_elsewhere"))
        assert moved.status_code == 200, problem_of(moved)
        return ticket_id

    def ticket(self, route, role):
        """The ticket a cell acts on: a waiting one (refused callers never reach its state); for allowed cells
        one in the state the step needs, shared by the allowed callers of a step that is safe to repeat."""
        if role not in ROLES or not allowed(MATRIX[route][role]):
            if "refused" not in self.tickets:
                self.tickets["refused"] = self.walk_in()
            return self.tickets["refused"]
        make = {
            "ticket start": self.called,
            "ticket complete": lambda: self.stepped("start"),
            "ticket no-show": self.called,
            "ticket recall": self.called,
            "ticket transfer": self.called,
            "ticket requeue": lambda: self.stepped("no-show"),
        }[route]
        if route in ("ticket transfer", "ticket requeue"):  # once done, the ticket is waiting: a fresh one each
            return make()
        if route not in self.tickets:  # start, complete, no-show again answer the ticket; recall calls again
            self.tickets[route] = make()
        return self.tickets[route]


def without_request_id(response):
    return {k: v for k, v in response.json().items() if k != "request_id"}


def problem_of(response):
    """What a failure may print: the status and the problem's code, never a body (it may be personal)."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    return f"{response.status_code} {code}"


def free_slots(gateway, count):
    slots = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    later = datetime.now(UTC) + timedelta(hours=30)
    found = [s["slot_id"] for s in slots if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0]
    assert len(found) >= count
    return found[:count]


def book(stack, gateway, person, slot_id):
    made = gateway.post("/api/v1/bookings", json={"slot_id": slot_id, "service_code": SERVICE},
                        headers=bearer(stack, person))  # fmt: skip
    assert made.status_code == 201, problem_of(made)
    return made.json()["reservation_code"]


@pytest.fixture(scope="module")
def world(stack):
    from antre_common.testing import HttpClient

    gateway = HttpClient(stack.config.gateway_url)
    owner, visitor = citizen(), citizen()
    world = World(stack, gateway)
    world.headers = {
        "anonymous": {},
        "owner": bearer(stack, owner),
        "other_citizen": bearer(stack, citizen()),
        "officer_here": bearer(stack, staff("officer", OFFICE)),
        "supervisor_here": bearer(stack, staff("supervisor", OFFICE)),
        "officer_elsewhere": bearer(stack, staff("officer", OTHER_OFFICE)),
        "supervisor_elsewhere": bearer(stack, staff("supervisor", OTHER_OFFICE)),
        "admin": {"Authorization": f"Bearer {admin_access_token(stack, gateway)}"},  # identity knows its admins
    }
    world.headers.update(not_genuine(stack, world.headers["admin"]["Authorization"].removeprefix("Bearer ")))
    first, second, third = free_slots(gateway, 3)
    world.code = book(stack, gateway, owner, first)
    world.reschedule_to = second
    world.visit = book(stack, gateway, visitor, third)  # checked in today
    move_to_now(stack, world.visit)
    uploaded = gateway.post(f"/api/v1/bookings/{world.code}/documents", data={"doc_type": "ktp"},
                            files={"file": ("ktp.pdf", samples.pdf(), "application/pdf")},
                            headers=world.as_("owner"))  # fmt: skip
    assert uploaded.status_code == 201, problem_of(uploaded)
    world.document_id = uploaded.json()["document_id"]
    office = gateway.get(f"/api/v1/offices/{OFFICE}").json()
    world.counters = office["counters"]
    made = gateway.post("/api/v1/admin/staff", headers=world.as_("admin"), json=new_staff())
    assert made.status_code == 201, problem_of(made)
    world.staff_to_disable = made.json()["user_id"]
    return world


def not_genuine(stack, admin_token):
    """The real admin's claims in tokens the gateway must refuse (401 on every route of the matrix)."""
    claims = jwt.decode(admin_token, options={"verify_signature": False})
    fresh = {k: v for k, v in claims.items() if k not in ("iat", "exp", "jti")}
    tokens = {
        "forged": jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA"),  # another key
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "expired": mint(stack, fresh, ttl=-60),
        "refresh_type": mint(stack, {**fresh, "typ": "refresh"}),
        "other_audience": mint(stack, {**fresh, "aud": "another-app"}),
        "not_a_jwt": "Zm9vLmJhci5iYXo",
    }
    return {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


NOT_GENUINE = ("forged", "unsigned", "expired", "refresh_type", "other_audience", "not_a_jwt")


def new_staff():
    return {"email": f"petugas.{uuid.uuid4().hex[:10]}@imigrasi.example.id", "full_name": "Petugas Uji",
            "password": PASSWORD, "role": "officer", "office_code": OFFICE}  # fmt: skip


def ask(world, route, role, missing=False):
    """The request of this cell, as this role; ``missing``: about a booking, document or ticket that does not
    exist (the same characters as the booking's code, in another order)."""
    g, h = world.gateway, world.as_(role)
    code = world.code[1:] + world.code[0] if missing else world.code
    document_id = str(uuid.uuid4()) if missing else world.document_id
    office_routes = {
        "booking read": lambda: g.get(f"/api/v1/bookings/{code}", headers=h),
        "booking list": lambda: g.get("/api/v1/bookings", headers=h),
        "booking qr": lambda: g.get(f"/api/v1/bookings/{code}/qr", headers=h),
        "document checklist": lambda: g.get(f"/api/v1/bookings/{code}/documents", headers=h),
        "document content": lambda: g.get(f"/api/v1/documents/{document_id}/content", headers=h),
        "document upload": lambda: g.post(f"/api/v1/bookings/{code}/documents", data={"doc_type": "kartu_keluarga"},
                                          files={"file": ("kk.jpg", samples.jpeg(), "image/jpeg")}, headers=h),
        "document review": lambda: g.post(f"/api/v1/documents/{document_id}/review",
                                          json={"decision": "approved"}, headers=h),
        "office documents": lambda: g.get(f"/api/v1/offices/{OFFICE}/documents", headers=h),
        "office visits": lambda: g.get(f"/api/v1/offices/{OFFICE}/visits", headers=h),
        "booking reschedule": lambda: g.post(f"/api/v1/bookings/{code}/reschedule",
                                             json={"slot_id": world.reschedule_to}, headers=h),
        "booking cancel": lambda: g.post(f"/api/v1/bookings/{code}/cancel", headers=h),
        "check-in": lambda: g.post(f"/api/v1/offices/{OFFICE}/check-ins",
                                   json={"reservation_code": world.visit, "identity_confirmed": True}, headers=h),
        "office bookings": lambda: g.get(f"/api/v1/offices/{OFFICE}/bookings", headers=h),
        "walk-in": lambda: g.post(f"/api/v1/offices/{OFFICE}/walk-ins", json={"service_code": SERVICE}, headers=h),
        "call-next": lambda: g.post(f"/api/v1/offices/{OFFICE}/counters/1/call-next", headers=h),
        "queue": lambda: g.get(f"/api/v1/offices/{OFFICE}/queue", headers=h),
        "quotas": lambda: g.get(f"/api/v1/offices/{OFFICE}/quotas", headers=h),
        "stats": lambda: g.get(f"/api/v1/offices/{OFFICE}/stats", headers=h),
        "forecast": lambda: g.get(f"/api/v1/offices/{OFFICE}/forecast", headers=h),
        "capacity": lambda: g.put(f"/api/v1/offices/{OFFICE}/capacity", json={"counters": world.counters}, headers=h),
        "staff create": lambda: g.post("/api/v1/admin/staff", json=new_staff(), headers=h),
        "staff disable": lambda: g.post(f"/api/v1/admin/staff/{world.staff_to_disable}/disable", headers=h),
        "audit": lambda: g.get("/api/v1/admin/audit", headers=h),
        "integration clients": lambda: g.get("/api/v1/admin/integration-clients", headers=h),
        "payment channel": lambda: g.get("/api/v1/admin/payment-channel", headers=h),
    }  # fmt: skip
    if route in office_routes:
        return office_routes[route]()
    step = route.removeprefix("ticket ")
    body = {"json": {"counter": "2"}} if step == "transfer" else {}
    ticket_id = uuid.uuid4() if missing else world.ticket(route, role)
    return g.post(f"/api/v1/tickets/{ticket_id}/{step}", headers=world.on_ticket_office(role), **body)


@pytest.mark.parametrize(("route", "role"), list(cells()))
def test_route_answers_each_role_as_the_matrix_says(world, route, role):
    expected = MATRIX[route][role]
    response = ask(world, route, role)
    accepted = expected if isinstance(expected, tuple) else (expected,)
    assert response.status_code in accepted, f"{route} as {role}: expected {expected}, got {problem_of(response)}"
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
    if expected == HIDDEN:  # exactly the answer about a thing that does not exist: nothing tells them apart
        nothing = ask(world, route, role, missing=True)
        alike = (nothing.status_code, without_request_id(nothing)) == (HIDDEN, without_request_id(response))
        assert alike, f"{route} as {role}: {problem_of(response)}, but {problem_of(nothing)} for nothing"
    if route == "booking list" and response.status_code == 200:
        codes = {b["reservation_code"] for b in response.json()}
        listed = world.code in codes  # a bare boolean: pytest prints no reservation code
        assert listed == (role == "owner"), f"the booking listed for {role}: {listed}"


def test_the_matrix_covers_every_role_of_every_route():
    assert all(set(expected) == set(ROLES) for expected in MATRIX.values())
    assert len(MATRIX) * len(ROLES) == len(list(cells()))


@pytest.mark.parametrize("token", NOT_GENUINE)
def test_a_token_identity_did_not_issue_as_an_access_token_is_401_on_every_route(world, token):
    """The admin's own claims, re-signed with another key, unsigned, expired, as a refresh token, for another
    audience, or no JWT at all: every route of the matrix answers 401 (and does nothing)."""
    for route in MATRIX:
        response = ask(world, route, token)
        assert response.status_code == 401, f"{route} with a {token} token: {problem_of(response)}"
        assert response.json()["code"] in ("UNAUTHENTICATED", "TOKEN_EXPIRED"), route
