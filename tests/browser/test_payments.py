"""A booking with a fee (PNBP) in a real browser on a 360 px phone: the fee before booking, the seat held with
the amount, the deadline and the billing code to copy, the development bank pays, the booking shows paid with
its receipt. Office MKS (no other browser test books there)."""

import re

import requests
from playwright.sync_api import expect

from .test_citizen import signed_in


def test_a_booking_with_a_fee_shows_what_to_pay_the_code_to_copy_and_then_paid(
    new_page, stack, gateway, mailbox, shots, axe
):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    signed_in(page, gateway, mailbox)
    page.goto("/")
    service = page.get_by_role("link", name=re.compile("Paspor elektronik baru"))
    expect(service).to_contain_text("Rp650.000")
    service.click()
    page.get_by_label("Cari kota atau provinsi").fill("makassar")
    page.locator("#office-list a").first.click()
    page.locator("a.choice").nth(2).click()
    page.locator("button.choice").first.click()
    expect(page.get_by_role("heading", name="Periksa pemesanan Anda")).to_be_visible()
    expect(page.get_by_text("biaya paspor (PNBP) Rp650.000")).to_be_visible()  # said before the button
    shots(page, "citizen-fee-check")
    axe(page)
    page.get_by_role("button", name="Pesan jadwal ini").click()

    expect(page.get_by_role("heading", name="Kursi ditahan: bayar untuk mengonfirmasi")).to_be_visible()
    expect(page.get_by_text("Menunggu pembayaran")).to_be_visible()
    panel = page.locator("section.panel")
    expect(panel).to_contain_text("Rp650.000")
    expect(panel).to_contain_text("WITA")  # the deadline in the office's time zone
    shown = page.locator(".billing-code").inner_text()
    billing_code = shown.replace(" ", "")
    assert re.fullmatch(r"\d{15}", billing_code), shown
    page.get_by_role("button", name="Salin kode billing").click()
    expect(page.get_by_text("Kode billing disalin.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == billing_code  # copied without the spaces
    shots(page, "citizen-fee-pay")
    axe(page)

    paid = requests.post(f"{stack.config.bank_url}/pay", json={"billing_code": billing_code}, timeout=30)
    assert paid.status_code == 200 and paid.json()["notified"] == 204, paid.text
    page.get_by_role("button", name="Periksa status pembayaran").click()
    expect(page.get_by_text("Terkonfirmasi")).to_be_visible()
    expect(page.get_by_text("Tanda terima")).to_be_visible()
    expect(page.get_by_text("lunas")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Kode QR"))).to_be_visible()  # now the code for the door
    shots(page, "citizen-fee-paid")
    axe(page)
