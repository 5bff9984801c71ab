"""A citizen in a real browser, on a 360 px phone: registers (the code read from the SMTP sink), books a slot,
uploads a document, sees the reservation code and QR, loses the network and still opens them; an officer
then checks them in at the console and calls them."""

import io
import re

from PIL import Image
from playwright.sync_api import expect

from ..system.people import code_from_mail, new_person

OFFICE = "SMG"  # no other system test books here
SERVICE = "paspor_penggantian"


def png_of_a_document():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (230, 230, 210)).save(buffer, "PNG")
    return buffer.getvalue()


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
    page.get_by_label("NIK").fill(person["nik"])
    page.get_by_label("Nama lengkap").fill(person["full_name"])
    page.get_by_label("Tanggal lahir").fill(person["birth_date"])
    page.get_by_role("button", name="Lanjut").click()
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_label("Nomor ponsel").fill(person["phone"])
    page.get_by_role("button", name="Lanjut").click()
    page.get_by_label("Kata sandi").fill(person["password"])
    page.get_by_role("button", name="Lanjut").click()
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


def test_citizen_registers_books_uploads_and_opens_the_qr_offline(new_page, stack, gateway, mailbox, shots, axe):
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
