"""A fair release in a real browser (360 px): the day page names the release and its waiting room, the waiting
room shows the person's place and progress; on a full day the person joins the waitlist, a cancelled seat is
offered to them with a deadline and they accept it; after cancelling too often the booking says until when
they must wait."""

import re
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import expect

from antre_common.waiting import wait_until

from ..system.people import code_from_mail, new_person
from ..system.tokens import bearer, citizen

OFFICE, SERVICE = "JKS", "paspor_hilang"  # no other browser test books here


def signed_up(gateway, mailbox):
    person = new_person()
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": person["password"]})
    return person, {"Authorization": f"Bearer {login.json()['access_token']}"}


def day_slots(gateway, day):
    params = {"service": SERVICE, "from": day, "to": day}
    return gateway.get(f"/api/v1/offices/{OFFICE}/availability", params=params).json()


def test_waiting_room_waitlist_and_cooldown(new_page, stack, gateway, mailbox, admin_token, shots, axe):
    admin = {"Authorization": f"Bearer {admin_token}"}
    capacity = {"counters": 1, "slot_minutes": 60, "online_share": 0.5}  # one 30-minute seat per slot
    assert gateway.put(f"/api/v1/offices/{OFFICE}/capacity", json=capacity, headers=admin).status_code == 200
    window = gateway.get(f"/api/v1/offices/{OFFICE}").json()["booking_window"]
    opens_at = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()  # its waiting room is open now
    for n in range(1, 10):
        later = (date.fromisoformat(window["open_until"]) + timedelta(days=n)).isoformat()
        made = gateway.post(
            f"/api/v1/offices/{OFFICE}/releases", json={"date": later, "opens_at": opens_at}, headers=admin
        )
        if made.status_code == 201:
            break
    release = made.json()
    full_day = next(
        d for n in range(3, 12)
        if day_slots(gateway, d := (date.fromisoformat(window["open_until"]) - timedelta(days=n)).isoformat())
    )  # fmt: skip
    fillers = []
    for slot in day_slots(gateway, full_day):
        headers = bearer(stack, citizen())
        booked = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE},
                              headers=headers)  # fmt: skip
        assert booked.status_code == 201, booked.text
        fillers.append((headers, booked.json()))
    person, me = signed_up(gateway, mailbox)

    page = new_page()
    page.goto("/login")
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_label("Kata sandi").fill(person["password"])
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()

    # The day page names the release; its waiting room shows the place and the progress.
    page.goto(f"/book/{SERVICE}/{OFFICE}")
    expect(page.get_by_role("heading", name="Pilih hari")).to_be_visible()
    page.get_by_role("link", name="Masuk ruang tunggu").click()
    expect(page.get_by_role("heading", name="Ruang tunggu")).to_be_visible()
    expect(page.locator("#room-position")).to_have_text("1")
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_text("urutan acak")).to_be_visible()
    shots(page, "citizen-waiting-room")
    axe(page)
    queue = gateway.get(f"/api/v1/releases/{release['release_id']}/queue", headers=me).json()
    assert queue["state"] == "waiting" and queue["position"] == 1

    # A full day: join the waitlist; a cancelled seat is offered with its deadline; accept books it.
    page.goto(f"/book/{SERVICE}/{OFFICE}")
    full = page.locator("li").filter(has=page.locator(".choice", has_text="Penuh")).first
    full.get_by_role("button", name="Masuk daftar tunggu").click()
    expect(page.get_by_role("heading", name="Daftar tunggu")).to_be_visible()
    expect(page.get_by_text("Menunggu, urutan ke-1.")).to_be_visible()
    shots(page, "citizen-waitlist")
    axe(page)
    waited = gateway.get("/api/v1/waitlist", headers=me).json()[0]
    headers, gone = next((h, b) for h, b in fillers if b["date"] == waited["date"])
    assert gateway.post(f"/api/v1/bookings/{gone['reservation_code']}/cancel", headers=headers).status_code == 200
    wait_until(lambda: gateway.get("/api/v1/waitlist", headers=me).json()[0]["status"] == "offered", 30,
               what="the offer")  # fmt: skip
    page.reload()
    expect(page.get_by_text("Ada kuota untuk Anda.")).to_be_visible()
    expect(page.get_by_text("disimpan untuk Anda sampai")).to_be_visible()
    shots(page, "citizen-waitlist-offer")
    axe(page)
    page.get_by_role("button", name="Terima dan pesan").click()
    expect(page).to_have_url(re.compile(r"/bookings/[0-9A-Z]+"))
    accepted = gateway.get("/api/v1/bookings", headers=me).json()[0]
    assert accepted["slot_id"] == gone["slot_id"] and accepted["status"] == "confirmed"

    # Cancelling too often: the booking page says until when.
    assert gateway.post(f"/api/v1/bookings/{accepted['reservation_code']}/cancel", headers=me).status_code == 200
    free = next(s for s in gateway.get(f"/api/v1/offices/{OFFICE}/availability",
                                       params={"service": SERVICE}).json() if s["remaining"] > 0)  # fmt: skip
    for _ in range(2):
        made = gateway.post("/api/v1/bookings", json={"slot_id": free["slot_id"], "service_code": SERVICE}, headers=me)
        assert gateway.post(f"/api/v1/bookings/{made.json()['reservation_code']}/cancel", headers=me).status_code == 200
    page.goto(f"/book/{SERVICE}/{OFFICE}/{free['date']}")
    page.locator(".slots .choice").first.click()
    page.get_by_role("button", name="Pesan jadwal ini").click()
    expect(page.get_by_role("alert")).to_contain_text("Anda dapat memesan lagi mulai")
    shots(page, "citizen-cooldown")
    axe(page)
