"""Staff accounts in a real browser: an officer's first sign-in sets up an authenticator (QR and key) and signs
in with its code, then ends all their sessions; an admin disables the officer in the accounts page, and the open
console loses its session at once; enabled again, the officer signs in with the same authenticator, until the
admin resets it (a lost phone) and the next sign-in sets up a new one."""

from playwright.sync_api import expect

from antre_dev import totp

from .conftest import sign_in

OFFICE = "JKS"


def admin_account(stack):
    env = stack.env()
    return {"email": env["ANTRE_ADMIN_EMAIL"], "password": env["ANTRE_ADMIN_PASSWORD"],
            "totp_secret": env["ANTRE_ADMIN_TOTP_SECRET"]}  # fmt: skip


def test_first_sign_in_sets_up_the_authenticator_then_signs_in_with_its_code(new_page, make_staff, shots, axe):
    officer = make_staff("officer", OFFICE, enrolled=False)
    page = new_page()
    sign_in(page, officer, "/staff/")  # the password: no console yet, the set-up comes first
    expect(page.get_by_role("heading", name="Pasang autentikator")).to_be_visible()
    qr = page.get_by_role("img", name="Kode QR untuk aplikasi autentikator")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the SVG drew
    secret = page.locator(".totp-secret").inner_text().strip()
    assert len(secret) == 32
    shots(page, "staff-totp-enrol")
    axe(page)
    page.get_by_label("Kode 6 angka").fill("12")
    page.get_by_role("button", name="Pasang dan masuk").click()
    expect(page.locator(".error-summary")).to_contain_text("6 angka")
    page.get_by_label("Kode 6 angka").fill(totp.code(secret))
    page.get_by_role("button", name="Pasang dan masuk").click()
    expect(page.get_by_role("heading", name="Konsol kantor")).to_be_visible()
    expect(page.get_by_text(f"Rudi Hartono · Petugas · {OFFICE}")).to_be_visible()

    # Signed out, the next sign-in asks for the code (no set-up again).
    page.get_by_role("button", name="Keluar").click()
    officer["totp_secret"] = secret
    sign_in(page, officer, "/staff/")
    expect(page.get_by_role("heading", name="Konsol kantor")).to_be_visible()
    shots(page, "staff-home-signed-in-with-code")

    # "End all my sessions" (a lost phone, a shared PC): signed out here too, and told why.
    page.get_by_role("button", name="Akhiri semua sesi saya").click()
    expect(page.get_by_role("heading", name="Masuk ke konsol kantor")).to_be_visible()
    expect(page.get_by_text("Semua sesi Anda telah diakhiri.")).to_be_visible()


def test_an_admin_disables_an_officer_whose_open_console_loses_its_session_at_once(
    stack, new_page, make_staff, shots, axe
):
    officer = make_staff("officer", OFFICE)
    desk = new_page()
    sign_in(desk, officer, "/staff/queue")
    expect(desk.get_by_role("heading", name="Antrean")).to_be_visible()

    page = new_page()
    sign_in(page, admin_account(stack), "/staff/accounts")
    expect(page.get_by_role("heading", name="Akun staf")).to_be_visible()
    card = page.locator(f'[data-user="{officer["user_id"]}"]')
    expect(card).to_contain_text("Aktif · Autentikator terpasang")
    shots(page, "staff-accounts")
    axe(page)
    card.get_by_role("button", name="Nonaktifkan").click()
    expect(page.get_by_text("Akun Rudi Hartono dinonaktifkan; semua sesinya berakhir.")).to_be_visible()
    card = page.locator(f'[data-user="{officer["user_id"]}"]')
    expect(card).to_contain_text("Nonaktif")

    desk.reload()  # the officer's token is refused at once: the console asks to sign in again
    expect(desk.get_by_role("heading", name="Masuk ke konsol kantor")).to_be_visible()
    desk.get_by_label("Alamat email dinas").fill(officer["email"])
    desk.get_by_label("Kata sandi").fill(officer["password"])
    desk.get_by_role("button", name="Masuk", exact=True).click()
    expect(desk.locator(".error-summary")).to_contain_text("dinonaktifkan")

    card.get_by_role("button", name="Aktifkan lagi").click()
    expect(page.get_by_text("Akun Rudi Hartono aktif lagi.")).to_be_visible()
    sign_in(desk, officer, "/staff/queue")
    expect(desk.get_by_role("heading", name="Antrean")).to_be_visible()

    # A lost phone: the admin resets the authenticator; the officer sets up a new one at the next sign-in.
    card.get_by_role("button", name="Reset autentikator").click()
    expect(page.get_by_text("Autentikator Rudi Hartono direset")).to_be_visible()
    expect(page.locator(f'[data-user="{officer["user_id"]}"]')).to_contain_text("Autentikator belum dipasang")
    desk.reload()
    expect(desk.get_by_role("heading", name="Masuk ke konsol kantor")).to_be_visible()
    sign_in(desk, {**officer, "totp_secret": None}, "/staff/queue")
    expect(desk.get_by_role("heading", name="Pasang autentikator")).to_be_visible()
