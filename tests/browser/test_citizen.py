"""A citizen in a real browser, on a 360 px phone: registers (the code read from the SMTP sink), books a slot,
uploads a document, sees the reservation code and QR, loses the network and still opens them; an officer
then checks them in at the console and calls them."""

import io
import re

import psycopg2
from PIL import Image
from playwright.sync_api import expect

from ..system.people import code_from_mail, new_person
from .conftest import sign_in

OFFICE = "SMG"  # no other system test books here
SERVICE = "paspor_penggantian"


def png_of_a_document():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (230, 230, 210)).save(buffer, "PNG")
    return buffer.getvalue()


def fill_the_three_steps(page, person):
    page.get_by_label("NIK").fill(person["nik"])
    page.get_by_label("Nama lengkap").fill(person["full_name"])
    page.get_by_label("Tanggal lahir").fill(person["birth_date"])
    page.get_by_role("button", name="Lanjut").click()
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_label("Nomor ponsel").fill(person["phone"])
    page.get_by_role("button", name="Lanjut").click()
    page.get_by_label("Kata sandi").fill(person["password"])
    page.get_by_role("button", name="Lanjut").click()


def register(page, person, mailbox, shots, axe):
    page.goto("/")
    expect(page.get_by_role("heading", name="Pilih layanan")).to_be_visible()
    shots(page, "citizen-home")
    axe(page)
    page.get_by_role("navigation").get_by_role("link", name="Daftar").click()
    expect(page.get_by_text("Langkah 1 dari 4")).to_be_visible()
    # Nothing filled: the errors say what to fix, at the top and at each field.
    page.get_by_role("button", name="Lanjut").click()
    expect(page.get_by_role("alert")).to_contain_text("NIK")
    shots(page, "citizen-register-errors")
    axe(page)
    fill_the_three_steps(page, person)
    expect(page.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    expect(page.get_by_text(person["nik"])).to_be_visible()
    shots(page, "citizen-register-check")
    axe(page)
    page.get_by_role("button", name="Daftar dan kirim kode").click()
    expect(page.get_by_role("heading", name="Masukkan kode verifikasi")).to_be_visible()
    shots(page, "citizen-verify")
    axe(page)
    page.get_by_label("Kode verifikasi").fill(code_from_mail(mailbox, person["email"]))
    page.get_by_role("button", name="Verifikasi akun").click()
    expect(page.get_by_text("Akun Anda aktif")).to_be_visible()
    page.get_by_label("Kata sandi").fill(person["password"])
    shots(page, "citizen-login")
    axe(page)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()


def book(page, shots, axe):
    page.get_by_role("link", name="Buat janji baru").click()
    page.get_by_role("link", name=re.compile("Penggantian paspor \\(habis")).click()
    page.get_by_label("Cari kota atau provinsi").fill("semarang")
    expect(page.get_by_text("1 kantor")).to_be_visible()
    shots(page, "citizen-office")
    axe(page)
    page.locator("#office-list a").first.click()
    expect(page.get_by_role("heading", name="Pilih hari")).to_be_visible()
    shots(page, "citizen-day")
    axe(page)
    page.locator("a.choice").nth(2).click()  # a day at least two days ahead: the reschedule rule allows it
    expect(page.get_by_role("heading", name="Pilih jam")).to_be_visible()
    expect(page.get_by_text("Jam dalam waktu WIB")).to_be_visible()
    shots(page, "citizen-slot")
    axe(page)
    page.locator("button.choice").first.click()
    expect(page.get_by_role("heading", name="Periksa pemesanan Anda")).to_be_visible()
    expect(page.get_by_text("Anda dapat mengubah jadwal satu kali")).to_be_visible()  # the rules before the button
    shots(page, "citizen-check")
    axe(page)
    page.get_by_label("Layanan prioritas (jika perlu)").select_option("disabilitas")  # confirmed at check-in
    page.get_by_role("button", name="Pesan jadwal ini").click()
    expect(page.get_by_role("heading", name="Pemesanan berhasil")).to_be_visible()
    code = page.locator(".code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{8}", code), code
    return code


def qr_is_shown(page):
    qr = page.get_by_role("img", name=re.compile("Kode QR"))
    expect(qr).to_be_visible()
    width = qr.evaluate("img => img.complete ? img.naturalWidth : 0")
    box = qr.bounding_box()
    assert width > 0 and box["width"] >= 250, (width, box)  # large enough to scan from a phone screen


def test_citizen_registers_books_uploads_and_opens_the_qr_offline(new_page, stack, mailbox, make_staff, shots, axe):
    page = new_page()
    person = new_person()
    register(page, person, mailbox, shots, axe)
    code = book(page, shots, axe)
    qr_is_shown(page)
    shots(page, "citizen-booking")
    axe(page)

    page.get_by_role("link", name="Unggah dokumen").click()
    expect(page.get_by_role("heading", name="Dokumen")).to_be_visible()
    ktp = page.locator(".card").filter(has_text="KTP elektronik")
    ktp.locator("input[type=file]").set_input_files(
        {"name": "ktp.png", "mimeType": "image/png", "buffer": png_of_a_document()}
    )
    ktp.get_by_role("button", name="Unggah").click()
    expect(page.locator(".card").filter(has_text="KTP elektronik")).to_contain_text("Menunggu pemeriksaan")
    shots(page, "citizen-documents")
    axe(page)

    # No signal at the office door: the app, the booking and its QR still open (service worker + saved copy).
    page.goto(f"/bookings/{code}")
    qr_is_shown(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    page.allowed_errors.append(r"net::ERR_INTERNET_DISCONNECTED")
    page.goto(f"/bookings/{code}")
    expect(page.get_by_text("Anda sedang luring")).to_be_visible()
    expect(page.locator(".code")).to_have_text(code)
    qr_is_shown(page)
    shots(page, "citizen-booking-offline")
    page.context.set_offline(False)

    # The booking is for a later day and a check-in is only possible on the day, so the test moves its start
    # to now in scheduling's database (what a clock set to that day would otherwise arrange).
    with psycopg2.connect(stack.config.database_url("scheduling").replace("+psycopg2", "")) as conn:
        with conn.cursor() as cursor:
            cursor.execute(
                "UPDATE booking SET start_at = now(), end_at = now() + interval '1 hour' WHERE reservation_code = %s",
                (code,),
            )
            assert cursor.rowcount == 1
    conn.close()

    # At the office: the officer scans the code, compares the KTP, checks the citizen in and calls them.
    officer = make_staff("officer", OFFICE)
    console = new_page(viewport={"width": 1280, "height": 900})
    sign_in(console, officer, "/staff/check-in")
    console.get_by_label("Kode pemesanan").fill(code)
    console.get_by_role("button", name="Cari pemesanan").click()
    expect(console.get_by_text("KTP")).not_to_have_count(0)
    # The holder from identity, to compare with the KTP; check-in only once "KTP cocok" is ticked.
    result = console.locator(".staff-result")
    expect(result).to_contain_text(person["full_name"])
    expect(result).to_contain_text("**")  # the masked NIK, never the whole one
    expect(result).not_to_contain_text(person["nik"])
    expect(console.get_by_label("Prioritas")).to_have_value("disabilitas")  # declared at booking
    console.get_by_role("button", name="Check-in dan beri nomor antrean").click()
    expect(console.locator(".error-summary")).to_contain_text("KTP cocok")
    shots(console, "staff-check-in-holder")
    axe(console)
    console.get_by_label("KTP cocok: foto, nama, NIK, dan tanggal lahir sesuai").check()
    console.get_by_role("button", name="Check-in dan beri nomor antrean").click()
    expect(console.get_by_role("heading", name="Check-in berhasil")).to_be_visible()
    number = console.locator(".ticket-number").inner_text().strip()
    shots(console, "staff-check-in-done")
    axe(console)
    console.goto("/staff/counter")
    console.get_by_label("Nomor loket").select_option("1")
    console.get_by_role("button", name="Panggil berikutnya").click()
    expect(console.locator(".ticket-number")).to_have_text(number)

    # The citizen's page shows the new status.
    page.goto(f"/bookings/{code}")
    expect(page.locator(".tag").first).to_have_text("Dipanggil")


def test_first_load_up_to_the_service_list_is_under_150_kb(new_page):
    """What a citizen on slow mobile data pays to see the services: every byte on the wire (headers and
    compressed bodies, as Chromium counts them), from an empty cache."""
    page = new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    transferred = {}
    cdp.on("Network.loadingFinished", lambda e: transferred.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto("/")
    expect(page.locator("a.choice").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    total = sum(transferred.values())
    print(f"first load of / up to the service list: {total} bytes in {len(transferred)} responses")
    assert len(transferred) >= 4  # the page, its script, its stylesheet, the services
    assert total < 150_000, total


def signed_in(page, gateway, mailbox):
    """A citizen registered through the API, signed in through the page; returns the person."""
    person = new_person()
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    page.goto("/login")
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_label("Kata sandi").fill(person["password"])
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()
    return person


def test_an_expired_session_comes_back_to_the_same_page_after_signing_in(new_page, gateway, mailbox):
    page = new_page()
    person = signed_in(page, gateway, mailbox)
    # Both tokens stop working (as after a password change elsewhere): the next page needs a new sign-in.
    page.evaluate(
        """() => localStorage.setItem("antre.citizen.session", JSON.stringify({access: "x", refresh: "y"}))"""
    )
    page.goto("/bookings?from=menu")
    expect(page.get_by_text("Sesi Anda berakhir")).to_be_visible()
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_label("Kata sandi").fill(person["password"])
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/bookings\?from=menu$"))
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()


def test_english_on_a_switch_that_is_remembered(new_page, shots, axe):
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", name="Book a passport appointment")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.get_by_role("heading", name="Book a passport appointment")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("New passport"))).to_be_visible()
    shots(page, "citizen-home-en")
    axe(page)


def test_a_slot_taken_meanwhile_offers_the_next_free_ones_then_the_one_move_is_checked_first(
    new_page, stack, gateway, mailbox, shots, axe
):
    page = new_page()
    signed_in(page, gateway, mailbox)
    page.goto("/book/paspor_baru/SBY")
    page.locator("a.choice").nth(2).click()  # at least two days ahead, so the booking may still be moved
    page.locator("button.choice").first.click()
    expect(page.get_by_role("heading", name="Periksa pemesanan Anda")).to_be_visible()
    chosen = page.evaluate("JSON.parse(sessionStorage.getItem('antre.draft')).slot.slot_id")
    # Someone else takes the last seat between the choice and the button.
    with psycopg2.connect(stack.config.database_url("scheduling").replace("+psycopg2", "")) as conn:
        with conn.cursor() as cursor:
            cursor.execute("UPDATE slot SET booked_minutes = capacity_minutes WHERE id = %s", (chosen,))
            assert cursor.rowcount == 1
    conn.close()
    page.get_by_role("button", name="Pesan jadwal ini").click()
    expect(page.get_by_text("jam ini baru saja penuh")).to_be_visible()
    expect(page.get_by_role("heading", name="Jam kosong berikutnya")).to_be_visible()
    shots(page, "citizen-slot-full")
    axe(page)
    page.locator("button.choice").nth(1).click()  # the first may be the full one, still in a cached answer
    page.get_by_role("button", name="Pesan jadwal ini").click()
    expect(page.get_by_role("heading", name="Pemesanan berhasil")).to_be_visible()
    code = page.locator(".code").inner_text()
    expect(page).to_have_url(re.compile(f"/bookings/{code}$"))  # a reload does not say "booked" again

    # A code typed in lower case opens the same booking under its own code.
    page.goto(f"/bookings/{code.lower()}")
    expect(page.locator(".code")).to_have_text(code)
    expect(page).to_have_url(re.compile(f"/bookings/{code}$"))

    # The one move a booking allows is checked on its own page before it is made.
    before = page.locator(".summary-list").inner_text()
    page.get_by_role("link", name="Ubah jadwal").click()
    page.locator("button.choice").last.click()
    expect(page.get_by_role("heading", name="Periksa perubahan jadwal")).to_be_visible()
    expect(page.get_by_text("hanya dapat diubah satu kali")).to_be_visible()
    shots(page, "citizen-reschedule-check")
    axe(page)
    page.get_by_role("button", name="Ya, ubah jadwal").click()
    expect(page.get_by_role("heading", name="Pemesanan", exact=True)).to_be_visible()
    expect(page.get_by_text("Jadwal ini tidak dapat diubah lagi")).to_be_visible()
    assert page.locator(".summary-list").inner_text() != before

    # A file over the cap is refused before it is sent over slow mobile data.
    page.get_by_role("link", name="Unggah dokumen").click()
    requests_sent = []
    page.on("request", lambda r: r.method == "POST" and requests_sent.append(r.url))
    card = page.locator(".card").first
    card.locator("input[type=file]").set_input_files(
        {"name": "scan.png", "mimeType": "image/png", "buffer": b"\x89PNG" + bytes(6 * 1024 * 1024)}
    )
    card.get_by_role("button", name="Unggah").click()
    expect(card).to_contain_text("Paling besar 5 MB")
    assert requests_sent == []


def test_the_apis_field_errors_land_on_the_step_that_holds_the_field(new_page, shots):
    page = new_page()
    person = new_person()
    page.goto("/register")
    fill_the_three_steps(page, {**person, "nik": "9973014211880001"})  # no such region: only the API knows
    page.get_by_role("button", name="Daftar dan kirim kode").click()
    expect(page.get_by_text("Langkah 1 dari 4")).to_be_visible()
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error")).to_contain_text("NIK tidak sesuai")
    expect(page.get_by_label("NIK")).to_have_attribute("aria-invalid", "true")
    shots(page, "citizen-register-api-error")
