"""Every template in both languages, on both channels, rendered with real data."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from notification.messages import MESSAGE_CHANNELS, MESSAGE_TYPES
from notification.templates import LANGUAGES, Renderer, build_context, local_slot

NIK = "3171234567890001"
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
CONTACT = {
    "user_id": "6f1c1d8e-9a55-4a36-9d1e-0d8a1c2b3e4f",
    "full_name": "Siti Rahmawati",
    "email": "siti@example.id",
    "phone": "+6281234567890",
    "nik_masked": "3171**57****0001",
}
OFFICE = {
    "code": "MKS",
    "name": "Kantor Imigrasi Kelas I TPI Makassar",
    "address": "Jl. Perintis Kemerdekaan Km. 13",
    "city": "Makassar",
    "province": "Sulawesi Selatan",
    "timezone": "Asia/Makassar",
}
SERVICE = {
    "code": "paspor_baru",
    "name": "Paspor baru",
    "required_documents": [
        {"type": "kk", "name": "Kartu Keluarga", "required": True},
        {"type": "akta", "name": "Akta kelahiran", "required": True},
    ],
}
BOOKING = {
    "booking_id": "0b8f3b8a-3a8e-4c55-9f39-cc1f1a2d3e4f",
    "reservation_code": "ANT-7KQ2XM",
    "user_id": CONTACT["user_id"],
    "office_code": "MKS",
    "service_code": "paspor_baru",
    "date": "2026-12-01",
    "start": "09:30",
}
ABOUT_BOOKING = {k: BOOKING[k] for k in ("booking_id", "reservation_code", "user_id", "office_code")}
PAYMENT = {"billing_code": "812345678901234", "amount": 650000, "currency": "IDR",
           "expires_at": (NOW + timedelta(hours=2)).isoformat()}  # fmt: skip
PAYMENT_FACTS = {k: PAYMENT[k] for k in ("billing_code", "amount", "currency")}  # no deadline once settled
WHOSE = {k: BOOKING[k] for k in ("booking_id", "reservation_code", "user_id")}
EVENT_DATA = {
    "otp": {"user_id": CONTACT["user_id"], "channel": "email", "purpose": "verify", "otp": "482913",
            "expires_at": (NOW + timedelta(minutes=10)).isoformat()},
    "welcome": {"user_id": CONTACT["user_id"]},
    "dependent_registered": {"person_id": "b0b00000-0000-4000-8000-000000000001", "holder_id": CONTACT["user_id"]},
    "booking_confirmed": BOOKING,
    # What scheduling sends (tests/unit/test_event_contracts.py checks it): no service or start on these two.
    "booking_cancelled": {**ABOUT_BOOKING, "date": BOOKING["date"], "reason": "office closed for a national holiday"},
    "booking_rescheduled": {**ABOUT_BOOKING, "old_slot": {"date": "2026-12-01", "start": "09:30"},
                            "new_slot": {"date": "2026-12-03", "start": "13:00"}},
    "reminder": {"booking_id": BOOKING["booking_id"], "user_id": CONTACT["user_id"], "hours_before": 24},
    "your_turn": {"ticket_id": "c0ffee00-0000-4000-8000-000000000001", "ticket_number": "A-042",
                  "office_code": "MKS", "counter": 7, "booking_id": BOOKING["booking_id"]},
    "document_rejected": {"document_id": "d0c00000-0000-4000-8000-000000000001", "booking_id": BOOKING["booking_id"],
                          "decision": "rejected", "reason": "the photo is blurred", "doc_type": "kk",
                          "document_name": "Kartu Keluarga"},
    "no_show": {"booking_id": BOOKING["booking_id"], "user_id": CONTACT["user_id"], "office_code": "MKS"},
    # Fees: as scheduling and payment send them (tests/unit/test_event_contracts.py checks it).
    "payment_due": {**BOOKING, "status": "awaiting_payment", "payment": PAYMENT},
    "payment_reminder": {**WHOSE, **PAYMENT},
    "payment_receipt": {**WHOSE, **PAYMENT_FACTS, "receipt_number": "ANT261201K7QDM2XP", "paid_at": NOW.isoformat()},
    "booking_expired": {**ABOUT_BOOKING, "date": BOOKING["date"], "reason": "unpaid", "service_code": "paspor_baru"},
    "payment_refunded": {**WHOSE, **PAYMENT_FACTS, "reason": "bill_expired"},
    "booking_disrupted": {**ABOUT_BOOKING, "date": BOOKING["date"], "start": BOOKING["start"],
                          "reason": "Listrik padam di gedung kantor"},
    "waitlist_offer": {"waitlist_id": "ffff0000-0000-4000-8000-000000000001", "user_id": CONTACT["user_id"],
                       "office_code": "MKS", "service_code": "paspor_baru", "date": "2026-12-01",
                       "slot_id": "ffff0000-0000-4000-8000-000000000002", "start": "2026-12-01T09:30:00+08:00",
                       "expires_at": (NOW + timedelta(minutes=30)).isoformat()},
}  # fmt: skip

# What each message must say, by language ({lang: [text, ...]}), on every channel.
ESSENTIALS = {
    "otp": {"id": ["482913", "10 menit"], "en": ["482913", "10 min"]},
    "welcome": {"id": ["Antre"], "en": ["Antre"]},
    "dependent_registered": {"id": ["akun Antre sendiri"], "en": ["account of their own"]},
    "booking_confirmed": {
        "id": ["ANT-7KQ2XM", "Kantor Imigrasi Kelas I TPI Makassar", "Selasa, 01 Desember 2026", "09:30 WITA"],
        "en": ["ANT-7KQ2XM", "Kantor Imigrasi Kelas I TPI Makassar", "Tuesday, December 1, 2026", "09:30 WITA"],
    },
    "booking_cancelled": {
        "id": ["ANT-7KQ2XM", "office closed for a national holiday"],
        "en": ["ANT-7KQ2XM", "office closed for a national holiday"],
    },
    "booking_rescheduled": {
        "id": ["ANT-7KQ2XM", "Kamis, 03 Desember 2026", "13:00 WITA"],
        "en": ["ANT-7KQ2XM", "Thursday, December 3, 2026", "13:00 WITA"],
    },
    "reminder": {
        "id": ["ANT-7KQ2XM", "Selasa, 01 Desember 2026", "09:30 WITA", "Kantor Imigrasi Kelas I TPI Makassar"],
        "en": ["ANT-7KQ2XM", "Tuesday, December 1, 2026", "09:30 WITA", "Kantor Imigrasi Kelas I TPI Makassar"],
    },
    "your_turn": {"id": ["A-042", "loket 7"], "en": ["A-042", "counter 7"]},
    # The document by its name (the citizen does not know the code "kk") and what to fix.
    "document_rejected": {
        "id": ["the photo is blurred", "Kartu Keluarga", "ANT-7KQ2XM"],
        "en": ["the photo is blurred", "Kartu Keluarga"],
    },
    "no_show": {"id": ["ANT-7KQ2XM"], "en": ["ANT-7KQ2XM"]},
    # The deadline in the office's time zone (03:00 UTC + 2 h = 13:00 WITA).
    "payment_due": {"id": ["812345678901234", "Rp650.000", "13:00 WITA", "ANT-7KQ2XM"],
                    "en": ["812345678901234", "IDR 650,000", "13:00 WITA", "ANT-7KQ2XM"]},
    "payment_reminder": {"id": ["812345678901234", "Rp650.000", "13:00 WITA"],
                         "en": ["812345678901234", "IDR 650,000", "13:00 WITA"]},
    "payment_receipt": {"id": ["ANT261201K7QDM2XP", "Rp650.000", "ANT-7KQ2XM"],
                        "en": ["ANT261201K7QDM2XP", "IDR 650,000", "ANT-7KQ2XM"]},
    "booking_expired": {"id": ["ANT-7KQ2XM", "berakhir"], "en": ["ANT-7KQ2XM", "ended"]},
    "payment_refunded": {"id": ["Rp650.000", "ANT-7KQ2XM"], "en": ["IDR 650,000", "ANT-7KQ2XM"]},
    "booking_disrupted": {
        "id": ["ANT-7KQ2XM", "Listrik padam di gedung kantor", "tidak dihitung"],
        "en": ["ANT-7KQ2XM", "Listrik padam di gedung kantor", "not count"],
    },
    "waitlist_offer": {"id": ["Selasa, 01 Desember 2026", "09:30 WITA", "30 menit"],
                       "en": ["Tuesday, December 1, 2026", "09:30 WITA", "30 minutes"]},
}  # fmt: skip
# Only in the mail (the SMS is short): address, documents, what to do.
EMAIL_ESSENTIALS = {
    "booking_confirmed": {
        "id": ["Jl. Perintis Kemerdekaan Km. 13", "Kartu Keluarga", "Akta kelahiran", "e-KTP asli", "Paspor baru"],
        "en": ["Jl. Perintis Kemerdekaan Km. 13", "Kartu Keluarga", "Akta kelahiran", "original e-KTP", "Paspor baru"],
    },
    "booking_rescheduled": {"id": ["Selasa, 01 Desember 2026"], "en": ["Tuesday, December 1, 2026"]},
    "reminder": {"id": ["Jl. Perintis Kemerdekaan Km. 13", "Kartu Keluarga"], "en": ["Kartu Keluarga"]},
    "document_rejected": {"id": ["unggah ulang", "Yang perlu diperbaiki"], "en": ["upload a correct", "What to fix"]},
    "no_show": {"id": ["pesan jadwal baru"], "en": ["book a new time"]},
    "payment_due": {"id": ["Cara membayar", "Kantor Imigrasi Kelas I TPI Makassar"], "en": ["How to pay"]},
    "payment_reminder": {"id": ["kursinya dilepas"], "en": ["the seat goes to someone else"]},
    "payment_receipt": {"id": ["812345678901234"], "en": ["812345678901234"]},
    "booking_disrupted": {"id": ["Selasa, 01 Desember 2026", "09:30 WITA"], "en": ["Tuesday, December 1, 2026"]},
}
WARNING = {
    "id": "Antre tidak pernah meminta uang",
    "en": "Antre never asks for money or personal data via WhatsApp or phone",
}

CHECK_CODE = "7K3QD-M2XPA"
renderer = Renderer()


def render(message_type, channel, language):
    contact = dict(CONTACT, language=language)
    needs_booking = message_type in ("reminder", "your_turn", "document_rejected", "no_show", "payment_reminder")
    context = build_context(
        message_type,
        EVENT_DATA[message_type],
        contact,
        booking=BOOKING if needs_booking else None,
        office=OFFICE,
        service=SERVICE,
        now=NOW,
        check_code=CHECK_CODE,
        check_url="https://antre.imigrasi.go.id/check",
    )
    return renderer.render(message_type, channel, language, context)


def test_every_message_type_has_its_essentials_listed():
    assert set(ESSENTIALS) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("message_type", MESSAGE_TYPES)
@pytest.mark.parametrize("channel", ["email", "sms"])
def test_every_template_renders_with_its_essentials_the_warning_and_only_the_masked_nik(
    message_type, channel, language
):
    rendered = render(message_type, channel, language)
    text = f"{rendered.subject or ''}\n{rendered.body}"
    for essential in ESSENTIALS[message_type][language]:
        assert essential in text, (essential, text)
    if channel == "email":
        assert rendered.subject and "\n" not in rendered.subject
        for essential in EMAIL_ESSENTIALS.get(message_type, {}).get(language, []):
            assert essential in rendered.body, (essential, rendered.body)
        assert CONTACT["full_name"] in rendered.body
    assert WARNING[language] in text
    assert CONTACT["nik_masked"] in text
    assert CHECK_CODE in text and "antre.imigrasi.go.id/check" in text  # the code and where to check it
    assert NIK not in text
    assert "None" not in text  # a missing value shows as "-", never as Python's None


def test_the_two_languages_differ():
    assert render("booking_confirmed", "email", "id").body != render("booking_confirmed", "email", "en").body


def test_an_sms_stays_short():
    for message_type in MESSAGE_TYPES:
        for language in LANGUAGES:
            assert len(render(message_type, "sms", language).body) <= 320, message_type  # two SMS parts at most


def test_every_channel_a_message_may_use_has_a_template():
    for message_type, channels in MESSAGE_CHANNELS.items():
        for channel in channels:
            assert render(message_type, channel, "id").body


def test_local_slot_shows_the_office_time_zone():
    assert local_slot("2026-12-01", "09:00", "Asia/Jakarta", "id") == ("Selasa, 01 Desember 2026", "09:00 WIB")
    assert local_slot(None, "2026-12-01T01:00:00+00:00", "Asia/Jayapura", "en") == (
        "Tuesday, December 1, 2026",
        "10:00 WIT",
    )
    assert local_slot(None, None, "Asia/Jakarta", "id") == (None, None)


def test_language_falls_back_to_bahasa_indonesia():
    context = build_context("welcome", {}, dict(CONTACT, language="fr"))
    assert context["language"] == "id"
    assert build_context("welcome", {}, dict(CONTACT, language="en-US"))["language"] == "en"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("message_type", MESSAGE_TYPES)
def test_the_inbox_line_has_a_subject_and_a_summary_without_a_one_time_code_or_a_name(message_type, language):
    for channel in ("email", "sms"):
        inbox = render(message_type, channel, language).inbox
        assert inbox["subject"] and inbox["summary"]
        line = f"{inbox['subject']} {inbox['summary']}"
        assert "482913" not in line and CONTACT["full_name"] not in line and CHECK_CODE not in line
        assert "\n" not in line


def test_a_message_without_a_check_code_is_refused():
    context = build_context("welcome", {}, CONTACT)
    with pytest.raises(ValueError, match="check code"):
        renderer.render("welcome", "email", "id", context)


@pytest.mark.parametrize(("language", "says"), [("id", "atur ulang kata sandi"), ("en", "password reset")])
def test_a_password_reset_code_says_what_it_is_for_and_keeps_the_code_on_its_own(language, says):
    data = dict(EVENT_DATA["otp"], purpose="reset")
    context = build_context(
        "otp", data, dict(CONTACT, language=language), now=NOW, check_code=CHECK_CODE, check_url="https://x/check"
    )
    message = renderer.render("otp", "email", language, context)
    assert says in message.subject.lower() and says in message.body.lower()
    assert re.search(r"\b482913\b", message.body)  # the code stands alone, readable by people and tests
    verify = render("otp", "email", language)
    assert says not in verify.subject.lower() and re.search(r"\b482913\b", verify.body)
