"""The status page: every part up in words; a stopped service shows as down (with what it cannot reach)
within one refresh of the page, and up again once it is back."""

from playwright.sync_api import expect

PARTS = {
    "identity": "Akun dan login",
    "scheduling": "Jadwal dan pemesanan",
    "documents": "Dokumen",
    "notification": "Pemberitahuan (email/SMS)",
    "integration": "Data untuk kementerian lain",
    "payment": "Pembayaran biaya paspor (PNBP)",
}
REFRESH_MS = 15000


def test_status_page_follows_a_service_going_down_and_up(stack, new_page, shots, axe):
    page = new_page()
    page.goto("/status")
    expect(page.get_by_role("heading", name="Status layanan Antre")).to_be_visible()
    expect(page.get_by_text("Semua bagian berjalan normal.")).to_be_visible()
    for name, title in PARTS.items():
        card = page.locator(f'[data-service="{name}"]')
        expect(card.get_by_role("heading")).to_have_text(title)
        expect(card).to_contain_text("Berjalan normal")
    expect(page.get_by_text("Diperiksa pukul")).to_be_visible()
    shots(page, "status-up")
    axe(page)

    stack.stop_process("notification")
    try:
        # No reload: the page's own refresh (every 15 s; the gateway's ping gives up after 2 s).
        card = page.locator('[data-service="notification"]')
        expect(card).to_contain_text("Terganggu", timeout=REFRESH_MS + 5000)
        expect(card).to_contain_text("Tidak dapat menjangkau: layanan itu sendiri.")
        expect(page.get_by_text("Ada bagian yang terganggu: pemberitahuan (email/SMS).")).to_be_visible()
        expect(page.locator('[data-service="identity"]')).to_contain_text("Berjalan normal")
        shots(page, "status-down")
        axe(page)
    finally:
        stack.start_service("notification")

    page.get_by_role("button", name="Periksa sekarang").click()
    expect(page.get_by_text("Semua bagian berjalan normal.")).to_be_visible()
    expect(page.locator('[data-service="notification"]')).to_contain_text("Berjalan normal")


def test_status_page_says_when_the_gateway_cannot_be_reached(new_page, shots, axe):
    page = new_page()
    page.goto("/status")
    expect(page.get_by_text("Semua bagian berjalan normal.")).to_be_visible()
    page.allowed_errors.append(r"ERR_INTERNET_DISCONNECTED")
    page.context.set_offline(True)
    page.get_by_role("button", name="Periksa sekarang").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("tidak dapat dijangkau")
    expect(alert).to_contain_text("pemeriksaan terakhir yang berhasil")
    # Another check with the same outcome leaves the alert alone (a screen reader hears it once).
    shown = alert.element_handle()
    page.get_by_role("button", name="Periksa sekarang").click()
    page.wait_for_timeout(1000)
    assert shown.evaluate("e => e.isConnected")
    shots(page, "status-gateway-down")
    axe(page)
    page.context.set_offline(False)
    page.get_by_role("button", name="Periksa sekarang").click()
    expect(page.get_by_text("Semua bagian berjalan normal.")).to_be_visible()
