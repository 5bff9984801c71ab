"""The office console in a real browser: an officer (made by the admin through the API) signs in at /staff/,
gives a walk-in number, calls it to counter 1, starts and completes it; a supervisor reads capacity, the
forecast chart and statistics; a citizen's account is told the console is for staff. (Checking in a booked
citizen is in test_citizen.py.)"""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from documents import samples

from ..system.people import PASSWORD, code_from_mail, new_person
from ..system.tokens import bearer, citizen
from .conftest import sign_in

OFFICE = "AMQ"  # no other system test works at this office
DESKTOP = {"width": 1280, "height": 900}


def test_officer_walk_in_call_start_complete(new_page, make_staff, shots, axe):
    officer = make_staff("officer", OFFICE)
    page = new_page()
    page.goto("/staff/")
    # Nothing filled: the error summary says what to fix.
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("Wajib diisi")
    shots(page, "staff-login-errors")
    axe(page)
    sign_in(page, officer, "/staff/")
    expect(page.get_by_role("heading", name="Konsol kantor")).to_be_visible()
    expect(page.get_by_text(f"Rudi Hartono · Petugas · {OFFICE}")).to_be_visible()
    # An officer's menu has no supervisor pages.
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Tanpa janji")).to_be_visible()
    expect(nav.get_by_role("link", name="Kapasitas")).to_have_count(0)
    expect(page.locator("a.brand")).to_have_attribute("href", "/staff/")  # the console's home, not the citizens'
    shots(page, "staff-home")
    axe(page)

    nav.get_by_role("link", name="Tanpa janji").click()
    expect(page.get_by_role("heading", name="Pengunjung tanpa janji")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/staff/walk-in$"))
    page.get_by_label("Prioritas").select_option("lansia")
    page.get_by_role("button", name="Beri nomor antrean").click()
    expect(page.get_by_role("heading", name="Nomor antrean diberikan")).to_be_visible()
    number = page.locator(".ticket-number").inner_text().strip()
    assert number
    expect(page.locator(".staff-ticket").get_by_text("Lansia")).to_be_visible()
    shots(page, "staff-walk-in-ticket")
    axe(page)

    # The queue shows it waiting.
    page.get_by_role("navigation").get_by_role("link", name="Antrean").click()
    expect(page.get_by_role("cell", name=number)).to_be_visible()
    expect(page.get_by_text("1 menunggu")).to_be_visible()
    expect(page.locator(".staff-quota")).to_contain_text(re.compile(r"tanpa janji: \d+ dari \d+ menit|tidak ada kuota"))
    shots(page, "staff-queue")
    axe(page)

    # Deep link + reload: the page comes back, still signed in.
    page.goto("/staff/counter")
    expect(page.get_by_role("heading", name="Loket saya")).to_be_visible()
    page.get_by_label("Nomor loket").select_option("1")
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.get_by_role("heading", name="Dipanggil ke loket 1")).to_be_visible()
    expect(page.locator(".ticket-number")).to_have_text(number)
    shots(page, "staff-counter-called")
    axe(page)
    page.get_by_role("button", name="Mulai melayani").click()
    expect(page.get_by_text("Sedang dilayani")).to_be_visible()
    page.get_by_role("button", name="Selesai").click()
    expect(page.get_by_text(f"Nomor {number}: Selesai.")).to_be_visible()
    shots(page, "staff-counter-done")
    axe(page)
    # Nobody else waits: call-next says so (204).
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.get_by_text("Tidak ada yang menunggu.")).to_be_visible()
    expect(page.get_by_role("button", name="Panggil berikutnya")).to_be_focused()  # not lost on <body>
    # The counter number is remembered on the device.
    page.reload()
    expect(page.get_by_label("Nomor loket")).to_have_value("1")

    # A supervisor's page is refused to an officer, in words.
    page.goto("/staff/capacity")
    expect(page.get_by_role("heading", name="Khusus supervisor")).to_be_visible()

    # Check-in with a code that does not exist: the error and what to do.
    page.goto("/staff/check-in")
    page.get_by_label("Kode pemesanan").fill("ZZZZ9999")
    page.get_by_label("Kode pemesanan").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Periksa kodenya")
    shots(page, "staff-check-in-not-found")
    axe(page)


def test_supervisor_capacity_forecast_stats(new_page, make_staff, shots, axe):
    supervisor = make_staff("supervisor", OFFICE)
    page = new_page(viewport=DESKTOP)
    sign_in(page, supervisor, "/staff/capacity")
    expect(page.get_by_role("heading", name="Kapasitas kantor")).to_be_visible()
    expect(page.get_by_label("Jumlah loket")).not_to_have_value("")
    expect(page.get_by_label("Senin")).to_have_value(re.compile(r"\d\d:\d\d-\d\d:\d\d"))
    shots(page, "staff-capacity")
    axe(page)
    # An invalid value is caught before anything is sent; a valid change goes through a check page.
    page.get_by_label("Jumlah loket").fill("0")
    page.get_by_role("button", name="Periksa perubahan").click()
    expect(page.locator(".error-summary")).to_contain_text("Bilangan dari 1 sampai 100")
    page.get_by_label("Jumlah loket").fill("7")
    monday = page.get_by_label("Senin").input_value()
    page.get_by_label("Senin").fill("08.00-12.00, 13.00-16.00")  # the Indonesian way of writing times
    page.get_by_role("button", name="Periksa perubahan").click()
    expect(page.get_by_role("heading", name="Periksa perubahan kapasitas")).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text("08:00-12:00, 13:00-16:00")
    page.get_by_role("button", name="Ubah").click()
    page.get_by_label("Senin").fill(monday)
    page.get_by_role("button", name="Periksa perubahan").click()
    shots(page, "staff-capacity-check")
    axe(page)
    page.get_by_role("button", name="Simpan kapasitas").click()
    expect(page.get_by_text("Kapasitas disimpan.")).to_be_visible()
    expect(page.get_by_label("Jumlah loket")).to_have_value("7")

    page.get_by_role("navigation").get_by_role("link", name="Perkiraan").click()
    expect(page.get_by_role("heading", name="Perkiraan pengunjung")).to_be_visible()
    expect(page.locator("svg.staff-chart rect.chart-bar")).to_have_count(7)
    table = page.get_by_role("table", name="Perkiraan per hari")
    expect(table.get_by_role("row")).to_have_count(8)  # header + 7 days
    expect(page.locator(".staff-model")).to_contain_text("Erlang C")
    expect(page.locator(".staff-model")).to_contain_text("80% pengunjung dipanggil dalam 15 menit")
    expect(page.locator(".staff-backtest")).to_contain_text(re.compile(r"MAPE|belum dapat diukur"))
    shots(page, "staff-forecast")
    axe(page)

    page.get_by_role("navigation").get_by_role("link", name="Statistik").click()
    expect(page.get_by_role("heading", name="Statistik kantor")).to_be_visible()
    stats = page.get_by_role("table", name="Angka per hari")
    expect(stats.get_by_role("columnheader", name="Rata-rata tunggu (menit)")).to_be_visible()
    expect(stats.get_by_role("row")).to_have_count(8)
    shots(page, "staff-stats")
    axe(page)
    # "From" after "to": said on the field before anything is sent.
    page.get_by_label("Dari tanggal").fill("2030-01-10")
    page.get_by_label("Sampai tanggal").fill("2030-01-01")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator(".error-summary")).to_contain_text("Tanggal akhir harus sama dengan atau sesudah tanggal awal")
    expect(page.get_by_label("Sampai tanggal")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("table", name="Angka per hari")).to_have_count(0)
    shots(page, "staff-stats-range-error")
    axe(page)


def test_citizen_is_refused_the_console(new_page, gateway, mailbox, shots, axe):
    person = new_person()
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    page = new_page()
    sign_in(page, {"email": person["email"], "password": PASSWORD}, "/staff/check-in")
    expect(page.get_by_role("heading", name="Konsol ini untuk petugas")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Ke aplikasi pemohon"))).to_be_visible()
    expect(page.get_by_label("Kode pemesanan")).to_have_count(0)
    shots(page, "staff-citizen-refused")
    axe(page)


def book_a_later_slot(stack, gateway, person, service, hours):
    """A booking through the API at the first free slot at least ``hours`` ahead; its reservation code."""
    slots = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": service}).json()
    later = datetime.now(UTC) + timedelta(hours=hours)
    slot = next(s for s in slots if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0)
    booked = gateway.post(
        "/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": service}, headers=bearer(stack, person)
    )
    assert booked.status_code == 201, booked.text
    return booked.json()["reservation_code"]


def booked_with_documents(stack, gateway):
    """A citizen's booking at the office with a PNG KTP and a PDF family card uploaded (through the API)."""
    person = citizen()
    code = book_a_later_slot(stack, gateway, person, "paspor_baru", hours=30)
    for doc_type, name, content, mimetype in (
        ("ktp", "ktp.png", samples.png(320, 200), "image/png"),
        ("kartu_keluarga", "kk.pdf", samples.pdf(), "application/pdf"),
    ):
        sent = gateway.post(
            f"/api/v1/bookings/{code}/documents",
            data={"doc_type": doc_type},
            files={"file": (name, content, mimetype)},
            headers=bearer(stack, person),
        )
        assert sent.status_code == 201, sent.text
    return code


def test_officer_reviews_the_documents_of_a_booking(stack, gateway, new_page, make_staff, shots, axe):
    code = booked_with_documents(stack, gateway)
    officer = make_staff("officer", OFFICE)
    page = new_page()
    sign_in(page, officer, "/staff/documents")
    expect(page.get_by_role("heading", name="Periksa dokumen")).to_be_visible()
    # The documents waiting for review, oldest first and by name: one press opens the booking.
    waiting = page.locator(".staff-waiting-list li")
    expect(waiting.first).to_contain_text(f"KTP elektronik · {code}")
    expect(waiting.nth(1)).to_contain_text(f"Kartu Keluarga · {code}")
    shots(page, "staff-documents-waiting")
    axe(page)
    waiting.first.get_by_role("button").click()
    expect(page.get_by_role("heading", name=f"Dokumen untuk {code}")).to_be_visible()
    ktp = page.locator(".staff-docs li").filter(has=page.get_by_role("heading", name="KTP elektronik"))
    kk = page.locator(".staff-docs li").filter(has=page.get_by_role("heading", name="Kartu Keluarga"))
    expect(ktp).to_contain_text("Menunggu pemeriksaan")

    # The image opens in the page (fetched with the officer's token), the PDF as a link.
    ktp.get_by_role("button", name="Buka berkas").click()
    expect(ktp.get_by_role("img", name="Pratinjau KTP elektronik")).to_be_visible()
    kk.get_by_role("button", name="Buka berkas").click()
    expect(kk.get_by_role("link", name="Buka PDF di tab baru")).to_have_attribute("href", re.compile(r"^blob:"))
    shots(page, "staff-documents")
    axe(page)

    # Rejecting needs a reason the applicant will read.
    kk.get_by_label("Ditolak").check()
    kk.get_by_role("button", name="Simpan keputusan").click()
    expect(kk.locator(".error-summary")).to_contain_text("Tulis alasan penolakan")
    kk.get_by_label("Alasan").fill("Foto terpotong; unggah halaman penuh.")
    kk.get_by_role("button", name="Simpan keputusan").click()
    expect(page.get_by_text("Keputusan untuk Kartu Keluarga disimpan.")).to_be_visible()
    ktp.get_by_label("Diterima").check()
    ktp.get_by_role("button", name="Simpan keputusan").click()
    expect(page.get_by_text("Keputusan untuk KTP elektronik disimpan.")).to_be_visible()
    expect(ktp.locator(".tag.ok")).to_have_text("Diterima")
    expect(kk.locator(".tag.bad")).to_have_text("Ditolak")
    shots(page, "staff-documents-reviewed")
    axe(page)


def test_check_in_for_another_day_is_explained_without_the_button(stack, gateway, new_page, make_staff, shots, axe):
    """A booking two or more days ahead: the officer is told it is not for today, and no check-in is offered."""
    code = book_a_later_slot(stack, gateway, citizen(), "paspor_hilang", hours=50)
    office = gateway.get(f"/api/v1/offices/{OFFICE}").json()

    page = new_page()
    sign_in(page, make_staff("officer", OFFICE), "/staff/check-in")
    page.get_by_label("Kode pemesanan").fill(code)
    page.get_by_label("Kode pemesanan").press("Enter")
    expect(page.get_by_role("heading", name=f"Pemesanan {code}")).to_be_visible()
    result = page.locator(".staff-result")
    expect(result).to_contain_text(office["name"])  # the office's name, not its code
    expect(result.get_by_role("status")).to_contain_text("bukan hari ini")
    expect(result.locator(".tag.ok")).to_have_count(0)  # never the green "ready" tag
    expect(page.get_by_role("button", name="Check-in dan beri nomor antrean")).to_have_count(0)
    walk_in = page.get_by_role("link", name=re.compile("beri nomor tanpa janji"))
    expect(walk_in).to_have_attribute("href", "/staff/walk-in")
    shots(page, "staff-check-in-other-day")
    axe(page)


def test_counter_calls_again_transfers_and_takes_a_late_arrival_back(stack, gateway, new_page, make_staff, shots, axe):
    """Recall, transfer to another counter, and a no-show who turns up late rejoining the queue (office BPN:
    no other browser test works there)."""
    office = "BPN"
    officer = make_staff("officer", office)
    page = new_page()
    sign_in(page, officer, "/staff/walk-in")
    page.get_by_role("button", name="Beri nomor antrean").click()
    number = page.locator(".ticket-number").inner_text().strip()
    page.goto("/staff/counter")
    page.get_by_label("Nomor loket").select_option("1")
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.locator(".ticket-number")).to_have_text(number)
    page.get_by_role("button", name="Panggil ulang").click()
    expect(page.get_by_role("heading", name="Dipanggil ke loket 1")).to_be_visible()
    shots(page, "staff-counter-actions")
    axe(page)

    page.get_by_label("Pindahkan ke").select_option(label="Loket 2")
    page.get_by_role("button", name="Pindahkan", exact=True).click()
    expect(page.get_by_text(f"Nomor {number} menunggu lagi.")).to_be_visible()
    page.get_by_label("Nomor loket").select_option("2")
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.get_by_role("heading", name="Dipanggil ke loket 2")).to_be_visible()
    expect(page.locator(".ticket-number")).to_have_text(number)

    page.get_by_role("button", name="Tidak hadir").click()
    expect(page.get_by_text(f"Nomor {number}: Tidak hadir.")).to_be_visible()
    page.get_by_role("button", name="Datang terlambat: kembalikan ke antrean").click()
    expect(page.get_by_text(f"Nomor {number} menunggu lagi.")).to_be_visible()
    shots(page, "staff-counter-requeued")
    axe(page)
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.locator(".ticket-number")).to_have_text(number)


def test_supervisor_announces_a_disruption_and_the_status_page_shows_it(new_page, make_staff, shots, axe):
    """Office DJJ (no other browser test works there): a past period is refused with its reason in words,
    a coming one is announced, listed, and shown on the public status page."""
    page = new_page()
    sign_in(page, make_staff("supervisor", "DJJ"), "/staff/disruptions")
    expect(page.get_by_role("heading", name="Gangguan kantor")).to_be_visible()
    page.get_by_role("button", name="Umumkan gangguan").click()
    expect(page.locator(".error-summary")).to_contain_text("Wajib diisi")
    page.get_by_label("Mulai").fill("2020-01-06T08:00")
    page.get_by_label("Selesai").fill("2020-01-06T12:00")
    page.get_by_label("Sebab").fill("Listrik padam di gedung kantor")
    page.get_by_role("button", name="Umumkan gangguan").click()
    expect(page.get_by_role("alert")).to_contain_text("sudah lewat")
    later = datetime.now(UTC) + timedelta(days=20)
    page.get_by_label("Mulai").fill(f"{later:%Y-%m-%d}T08:00")
    page.get_by_label("Selesai").fill(f"{later:%Y-%m-%d}T12:00")
    page.get_by_role("button", name="Umumkan gangguan").click()
    expect(page.get_by_text("Gangguan diumumkan.")).to_be_visible()
    expect(page.locator(".staff-disruptions")).to_contain_text("Listrik padam di gedung kantor")
    shots(page, "staff-disruptions")
    axe(page)

    status = new_page()
    status.goto("/status")
    expect(status.get_by_role("heading", name="Gangguan kantor yang diumumkan")).to_be_visible()
    expect(status.locator(".status-disruption").filter(has_text="Kantor DJJ")).to_contain_text("Listrik padam")
    shots(status, "status-disruption")
    axe(status)
