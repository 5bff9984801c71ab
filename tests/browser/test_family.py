"""Family members and a forgotten password in a real browser (360 px): a parent sees their family card, adds
their child as a dependent and books for the child; a citizen who forgot their password makes a new one
with the code from the mail and signs in with it."""

import re
from datetime import date

from playwright.sync_api import expect

from antre_dev.mailbox import text_of

from ..system.people import code_from_mail, new_family_member, new_person

OFFICE, SERVICE = "MKS", "paspor_baru"  # no other browser test books here
NEW_PASSWORD = "es kelapa muda segar sekali"  # noqa: S105 - test value


def active(gateway, mailbox, person):
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200


def sign_in(page, email, password):
    page.goto("/login")
    page.get_by_label("Alamat email").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()


def test_a_parent_adds_their_child_as_a_dependent_and_books_for_them(new_page, gateway, mailbox, shots, axe):
    parent = new_person(female=False, full_name="Made Wirawan", birth=date(1979, 10, 3))
    child = new_family_member(parent, "Kadek Wirawan", date(2014, 2, 17), female=True)
    active(gateway, mailbox, parent)
    page = new_page()
    sign_in(page, parent["email"], parent["password"])

    page.get_by_role("navigation").get_by_role("link", name="Keluarga").click()
    expect(page.get_by_role("heading", name="Keluarga saya")).to_be_visible()
    card = page.locator(".card").filter(has_text="Kadek Wirawan")
    expect(card).to_contain_text("Anak")
    expect(card).not_to_contain_text(child["nik"])  # masked
    shots(page, "citizen-family")
    axe(page)
    card.get_by_role("link", name="Tambahkan sebagai tanggungan").click()
    expect(page.get_by_role("heading", name="Tambahkan tanggungan")).to_be_visible()
    page.get_by_label("NIK anggota keluarga").fill(parent["nik"][:-4] + "0000")  # a typo: not on the card
    page.get_by_role("button", name="Tambahkan", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("tidak tercantum")
    shots(page, "citizen-family-add-error")
    axe(page)
    page.get_by_label("NIK anggota keluarga").fill(child["nik"])
    page.get_by_role("button", name="Tambahkan", exact=True).click()
    expect(page.get_by_text("Kadek Wirawan kini tanggungan Anda")).to_be_visible()
    expect(page.locator(".card").filter(has_text="Kadek Wirawan")).to_contain_text("Tanggungan Anda")

    # Book for her: the check page asks for whom.
    page.goto(f"/book/{SERVICE}/{OFFICE}")
    expect(page.get_by_role("heading", name="Pilih hari")).to_be_visible()
    page.locator("a.choice").nth(2).click()
    expect(page.get_by_role("heading", name="Pilih jam")).to_be_visible()
    page.locator("button.choice").first.click()
    expect(page.get_by_role("heading", name="Periksa pemesanan Anda")).to_be_visible()
    choice = page.get_by_role("group", name="Untuk siapa pemesanan ini?")
    expect(choice.get_by_label("Saya sendiri")).to_be_checked()
    choice.get_by_label("Kadek Wirawan").check()
    shots(page, "citizen-book-for")
    axe(page)
    page.get_by_role("button", name="Pesan jadwal ini").click()
    expect(page.get_by_role("heading", name="Pemesanan berhasil")).to_be_visible()
    code = page.locator(".code").inner_text()

    page.get_by_role("navigation").get_by_role("link", name="Pemesanan saya").click()
    mine = page.locator(".card").filter(has_text=code)
    expect(mine).to_contain_text("Untuk: Kadek Wirawan")
    # The confirmation went to the parent.
    mailbox.wait_for(lambda m: m["To"] == parent["email"] and code in m["Subject"], timeout=60)


def test_a_forgotten_password_is_reset_with_the_code_from_the_mail(new_page, gateway, mailbox, shots, axe):
    person = new_person()
    active(gateway, mailbox, person)
    page = new_page()
    page.goto("/login")
    page.get_by_role("link", name="Lupa kata sandi?").click()
    expect(page.get_by_role("heading", name="Lupa kata sandi")).to_be_visible()
    shots(page, "citizen-forgot")
    axe(page)
    page.get_by_label("Alamat email").fill(person["email"])
    page.get_by_role("button", name="Kirim kode").click()
    expect(page.get_by_role("heading", name="Buat kata sandi baru")).to_be_visible()
    [mail] = mailbox.wait_for(lambda m: m["To"] == person["email"] and "atur ulang" in m["Subject"], timeout=30)
    otp = re.search(r"\b(\d{6})\b", text_of(mail)).group(1)
    page.get_by_label("Kode dari email").fill(f"{(int(otp) + 1) % 10**6:06d}")
    page.get_by_label("Kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(page.locator(".error-summary")).to_contain_text("Kode verifikasi salah")
    shots(page, "citizen-reset-error")
    axe(page)
    page.get_by_label("Kode dari email").fill(otp)
    page.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(page.get_by_text("Kata sandi baru tersimpan")).to_be_visible()
    shots(page, "citizen-reset-done")
    axe(page)
    page.get_by_label("Kata sandi").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page.get_by_role("heading", name="Pemesanan saya")).to_be_visible()
