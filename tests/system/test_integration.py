"""Other ministries through the gateway: the published contract, an admin's integration client, the
client-credentials token and the replay of antre.integration (in order, once, resuming exactly after
``next``), with every documented error."""

import uuid
from datetime import UTC, datetime, timedelta

import yaml

from antre_common.testing import wait_until

from .people import admin_access_token
from .tokens import bearer, citizen, staff

CREATED = "id.go.imigrasi.antre.booking.created.v1"
CANCELLED = "id.go.imigrasi.antre.booking.cancelled.v1"
ISSUED = "id.go.imigrasi.antre.ticket.issued.v1"
COMPLETED = "id.go.imigrasi.antre.ticket.completed.v1"


def new_client(gateway, admin):
    created = gateway.post("/api/v1/admin/integration-clients", json={"name": f"kemenkes-{uuid.uuid4().hex[:8]}"},
                           headers=admin)  # fmt: skip
    assert created.status_code == 201, created.text
    return created.json()


def token_for(gateway, client, secret=None):
    form = {"grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": secret or client["client_secret"]}  # fmt: skip
    return gateway.post("/api/v1/auth/token", data=form)


def read(gateway, token, **params):
    response = gateway.get("/api/v1/integration/events", params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def catch_up(gateway, token):
    """The cursor after everything stored so far."""
    cursor = None
    while True:
        page = read(gateway, token, **({"after": cursor} if cursor else {}), limit=1000)
        if not page["events"]:
            return cursor
        cursor = page["next"]


def ours(events, ids):
    return [(e["type"], e["id"]) for e in events if {e["data"].get("booking_id"), e["data"].get("ticket_id")} & ids]


def test_replay_of_a_booking_a_cancellation_and_a_ticket(stack, gateway):
    admin = {"Authorization": f"Bearer {admin_access_token(stack, gateway)}"}
    client = new_client(gateway, admin)
    listed = gateway.get("/api/v1/admin/integration-clients", headers=admin).json()
    assert client["client_id"] in {c["client_id"] for c in listed}
    assert all("client_secret" not in c for c in listed)
    issued = token_for(gateway, client)
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    assert issued.json()["token_type"] == "Bearer" and issued.json()["expires_in"] > 0  # noqa: S105
    token = issued.json()["access_token"]
    start = catch_up(gateway, token)

    # A booking and its cancellation, then a walk-in served at the counter (its name never leaves the suite).
    person = citizen()
    auth = bearer(stack, person)
    later = datetime.now(UTC) + timedelta(hours=30)
    slots = gateway.get("/api/v1/offices/SBY/availability", params={"service": "paspor_baru"}).json()
    slot = next(s for s in slots if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0)
    booking = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": "paspor_baru"},
                           headers=auth).json()  # fmt: skip
    code = booking["reservation_code"]
    assert gateway.post(f"/api/v1/bookings/{code}/cancel", headers=auth).status_code == 200
    officer = bearer(stack, staff("officer", "SBY"))
    ticket = gateway.post("/api/v1/offices/SBY/walk-ins", json={"service_code": "paspor_baru", "name": "Budi Santoso"},
                          headers=officer)  # fmt: skip
    assert ticket.status_code == 201, ticket.text
    ticket = ticket.json()
    called = gateway.post("/api/v1/offices/SBY/counters/7/call-next", headers=officer)
    assert called.status_code == 200 and called.json()["ticket_id"] == ticket["ticket_id"], called.text
    for step in ("start", "complete"):
        assert gateway.post(f"/api/v1/tickets/{ticket['ticket_id']}/{step}", headers=officer).status_code == 200

    ids = {booking["booking_id"], ticket["ticket_id"]}
    want = [CREATED, CANCELLED, ISSUED, COMPLETED]

    def everything_after_start():
        page = read(gateway, token, **({"after": start} if start else {}), limit=1000)
        return page if [t for t, _ in ours(page["events"], ids)] == want else None

    page = wait_until(everything_after_start, 30, what="the four events in the replay")
    found = ours(page["events"], ids)
    assert len({event_id for _, event_id in found}) == 4  # once each
    text = str(page["events"])
    assert person["sub"] not in text and person["pref"] not in text and "Budi" not in text and code not in text

    # One page at a time from the same start: the same events in the same order, each exactly once.
    cursor, one_by_one = start, []
    while True:
        step = read(gateway, token, **({"after": cursor} if cursor else {}), limit=1)
        if not step["events"]:
            assert step["next"] == cursor  # nothing new: the same cursor again
            break
        assert len(step["events"]) == 1 and step["next"] != cursor
        one_by_one += step["events"]
        cursor = step["next"]
    assert [e["id"] for e in one_by_one][: len(page["events"])] == [e["id"] for e in page["events"]]
    assert ours(one_by_one, ids) == found


def test_replay_errors_are_documented_answers(stack, gateway):
    admin = {"Authorization": f"Bearer {admin_access_token(stack, gateway)}"}
    client = new_client(gateway, admin)
    token = token_for(gateway, client).json()["access_token"]
    cursor = read(gateway, token, limit=1)["next"]

    def answer(response):
        return response.status_code, response.json()["code"]

    bearer_token = {"Authorization": f"Bearer {token}"}
    events = "/api/v1/integration/events"
    assert answer(gateway.get(events)) == (401, "INVALID_TOKEN")
    assert answer(gateway.get(events, headers={"Authorization": "Bearer ait_forged"})) == (401, "INVALID_TOKEN")
    assert answer(gateway.get(events, headers=admin)) == (401, "INVALID_TOKEN")  # a person's JWT: not here
    assert answer(gateway.get(events, params={"limit": 0}, headers=bearer_token)) == (400, "VALIDATION_ERROR")
    assert answer(gateway.get(events, params={"limit": 100000}, headers=bearer_token)) == (400, "VALIDATION_ERROR")
    assert answer(gateway.get(events, params={"after": "x"}, headers=bearer_token)) == (400, "VALIDATION_ERROR")
    if cursor:
        tx, seq = cursor.split("-")
        unknown = gateway.get(events, params={"after": f"{tx}-{int(seq) + 10**9}"}, headers=bearer_token)
        assert answer(unknown) == (404, "CURSOR_NOT_FOUND")
    english = gateway.get(events, headers={"Accept-Language": "en"})
    assert "/api/v1/auth/token" in english.json()["detail"]

    assert answer(token_for(gateway, client, secret="wrong")) == (401, "INVALID_CLIENT")  # noqa: S106
    assert answer(token_for(gateway, dict(client, client_id=str(uuid.uuid4())))) == (401, "INVALID_CLIENT")
    grant = {"grant_type": "password", "client_id": client["client_id"], "client_secret": client["client_secret"]}
    assert answer(gateway.post("/api/v1/auth/token", data=grant)) == (400, "UNSUPPORTED_GRANT_TYPE")
    assert answer(gateway.post("/api/v1/auth/token", json=grant)) == (415, "UNSUPPORTED_MEDIA_TYPE")
    basic = gateway.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                         auth=(client["client_id"], client["client_secret"]))  # fmt: skip
    assert basic.status_code == 200  # HTTP Basic, as RFC 6749 prefers

    citizen_token = bearer(stack, citizen())
    assert gateway.post("/api/v1/admin/integration-clients", json={"name": "x-y"}, headers=citizen_token
                        ).status_code == 403  # fmt: skip
    assert answer(gateway.post("/api/v1/admin/integration-clients", json={"name": client["name"]}, headers=admin)
                  ) == (409, "CONFLICT")  # fmt: skip
    assert answer(gateway.post("/api/v1/admin/integration-clients", json={"name": "Bad Name"}, headers=admin)
                  ) == (400, "VALIDATION_ERROR")  # fmt: skip
    rotate = f"/api/v1/admin/integration-clients/{client['client_id']}/rotate"
    rotated = gateway.post(rotate, headers=admin).json()
    assert answer(gateway.get(events, headers=bearer_token)) == (401, "INVALID_TOKEN")  # old tokens stop at once
    assert answer(token_for(gateway, client)) == (401, "INVALID_CLIENT")  # the old secret too
    token = token_for(gateway, client, secret=rotated["client_secret"]).json()["access_token"]
    revoke = f"/api/v1/admin/integration-clients/{client['client_id']}/revoke"
    assert gateway.post(revoke, headers=admin).json()["status"] == "revoked"
    assert answer(gateway.get(events, headers={"Authorization": f"Bearer {token}"})) == (401, "INVALID_TOKEN")
    assert answer(token_for(gateway, client, secret=rotated["client_secret"])) == (401, "CLIENT_REVOKED")
    missing = f"/api/v1/admin/integration-clients/{uuid.uuid4()}/revoke"
    assert answer(gateway.post(missing, headers=admin)) == (404, "CLIENT_NOT_FOUND")


def test_the_contract_is_published(gateway):
    doc = gateway.get("/api/v1/integration/asyncapi.yaml")
    assert doc.status_code == 200 and doc.headers["Content-Type"].startswith("application/yaml")
    asyncapi = yaml.safe_load(doc.text)
    assert asyncapi == gateway.get("/api/v1/integration/asyncapi.json").json()
    addresses = {c["address"] for c in asyncapi["channels"].values()}
    assert {CREATED, CANCELLED, ISSUED, COMPLETED} <= addresses
    for ce_type in addresses:
        schema = gateway.get(f"/api/v1/integration/schemas/{ce_type}.json")
        assert schema.status_code == 200 and schema.json()["$id"].endswith(f"{ce_type}.json")
    assert gateway.get("/api/v1/integration/cloudevent.json").json()["properties"]["specversion"]["const"] == "1.0"
    assert gateway.get("/api/v1/integration/schemas/passwd").status_code == 404
    assert gateway.get("/api/v1/integration/schemas/..%2Fasyncapi.base.yaml").status_code == 404
