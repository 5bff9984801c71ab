"""A citizen checks Antre's messages in a real browser (360 px): after registering and booking, "Pesan saya"
lists every message with its check code; the code copied from there is genuine on the "Cek pesan" page
(reached from the footer), a made-up code is not, and too many checks from one address say when to retry."""

import re

from playwright.sync_api import expect

from antre_common.waiting import wait_until

from ..system.people import code_from_mail, new_person

OFFICE, SERVICE = "BDG", "paspor_baru"  # no other browser test books here


def registered_and_booked(gateway, mailbox):
    """Registration, verification and a booking through the API, as the citizen app would do them."""
    person = new_person()
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": person["password"]})
    me = {"Authorization": f"Bearer {login.json()['access_token']}"}
    slots = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    slot = next(s for s in slots if s["remaining"] > 0)
    booked = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE}, headers=me)
    assert booked.status_code == 201, booked.text

    def confirmed():
        return any(m["type"] == "booking_confirmed" for m in gateway.get("/api/v1/me/messages", headers=me).json())

    wait_until(confirmed, 60, what="the confirmation in the inbox")
    return person, otp, booked.json()["reservation_code"]


def test_a_code_from_my_messages_is_genuine_and_a_made_up_one_is_not(new_page, gateway, mailbox, shots, axe):
    person, otp, code = registered_and_booked(gateway, mailbox)
    page = new_page()
    page.goto("/login")
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_label("Kata sandi").fill(person["password"])
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="Pesan saya").click()
    expect(page.get_by_role("heading", name="Pesan saya")).to_be_visible()
    confirmation = page.locator(".card").filter(has_text=f"Pemesanan {code} dikonfirmasi").filter(has_text="Email ·")
    expect(confirmation).to_be_visible()
    expect(page.locator(".card").filter(has_text="Kode verifikasi")).not_to_have_count(0)  # the OTP's line...
    expect(page.locator("main")).not_to_contain_text(otp)  # ...without the code itself
    shots(page, "citizen-messages")
    axe(page)
    check_code = confirmation.locator(".check-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", check_code), check_code

    page.get_by_role("contentinfo").get_by_role("link", name=re.compile("Cek keasliannya")).click()
    expect(page.get_by_role("heading", name="Cek pesan")).to_be_visible()
    expect(page.get_by_text("Antre tidak pernah:")).to_be_visible()
    shots(page, "citizen-check-message")
    axe(page)

    page.get_by_label("Kode cek").fill(check_code.lower())  # as people type it
    page.get_by_role("button", name="Cek", exact=True).click()
    expect(page.get_by_text("Asli: Antre mengirim pesan dengan kode ini.")).to_be_visible()
    answer = page.locator(".summary-list")
    expect(answer).to_contain_text("Pemesanan dikonfirmasi")
    expect(answer).to_contain_text("Email")
    shots(page, "citizen-check-message-genuine")
    axe(page)

    page.get_by_label("Kode cek").fill("7K3QD-M2XPA")
    page.get_by_role("button", name="Cek", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Antre tidak mengirim pesan dengan kode ini.")
    expect(page.get_by_role("alert")).to_contain_text("jangan membayar")
    shots(page, "citizen-check-message-unknown")
    axe(page)

    page.get_by_label("Kode cek").fill("")
    page.get_by_role("button", name="Cek", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Ketik kode cek dari pesan")

    # From the inbox the code is checked at once; an address that carries a code (a forger's link) is not.
    page.goto("/check?code=" + check_code)
    expect(page.get_by_label("Kode cek")).to_have_value("")
    expect(page.get_by_text("Asli: Antre mengirim pesan dengan kode ini.")).to_have_count(0)
    page.get_by_role("navigation").get_by_role("link", name="Pesan saya").click()
    page.locator(".card").filter(has_text=f"Pemesanan {code} dikonfirmasi").filter(has_text="Email ·").get_by_role(
        "link", name="Cek kode ini"
    ).click()
    expect(page.get_by_text("Asli: Antre mengirim pesan dengan kode ini.")).to_be_visible()
    expect(page.get_by_text("Penipu bisa menyalin kode asli")).to_be_visible()

    # The same address guesses on (this browser and this test share 127.0.0.1): the page says when to retry.
    for _ in range(25):
        if gateway.get("/api/v1/messages/verify", params={"code": "0000000000"}).status_code == 429:
            break
    page.get_by_label("Kode cek").fill(check_code)
    page.get_by_role("button", name="Cek", exact=True).click()
    expect(
        page.get_by_text(re.compile(r"Terlalu banyak pengecekan dari jaringan Anda. Coba lagi dalam \d+ menit"))
    ).to_be_visible()
    shots(page, "citizen-check-message-limited")
    axe(page)
