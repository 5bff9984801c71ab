"""NIK, email, phone and password rules."""

from datetime import date

import pytest

from identity.exceptions import ValidationError
from identity.person import check_birth_date, check_nik, check_password, normalize_email, normalize_phone

BIRTH = date(1985, 8, 17)


def make_nik(birth, female=False, region="317101", serial="0001"):
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial}"


def field_error(exc_info):
    return exc_info.value.errors


def test_a_mans_nik_carries_his_birth_date():
    nik = make_nik(BIRTH)
    assert nik[6:12] == "170885"
    assert check_nik(nik, BIRTH) == (nik, "M")


def test_a_womans_nik_has_forty_added_to_the_day():
    nik = make_nik(BIRTH, female=True)
    assert nik[6:8] == "57"
    assert check_nik(nik, BIRTH) == (nik, "F")


@pytest.mark.parametrize(
    "nik, why",
    [
        (make_nik(BIRTH)[:15], "too short"),
        (make_nik(BIRTH) + "1", "too long"),
        ("31710117O8850001", "a letter"),
        ("991701" + make_nik(BIRTH)[6:], "no such province"),
        ("317101" + "320885" + "0001", "32 August"),
        ("317101" + "300285" + "0001", "30 February"),
        ("317101" + "721385" + "0001", "month 13 for a woman"),
    ],
)
def test_invalid_niks_are_rejected_on_the_nik_field(nik, why):
    with pytest.raises(ValidationError) as exc:
        check_nik(nik, BIRTH)
    assert list(field_error(exc)) == ["nik"], why


@pytest.mark.parametrize("birth", [date(1985, 8, 18), date(1985, 9, 17), date(1986, 8, 17)])
def test_a_valid_nik_of_another_birth_date_is_rejected(birth):
    with pytest.raises(ValidationError) as exc:
        check_nik(make_nik(BIRTH), birth)
    assert "birth date" in field_error(exc)["nik"][0]


def test_a_womans_nik_does_not_pass_as_a_mans_with_day_plus_forty():
    with pytest.raises(ValidationError):
        check_nik(make_nik(BIRTH, female=True), date(1985, 8, 57 - 40 + 1))


def test_birth_dates_in_the_future_are_rejected():
    with pytest.raises(ValidationError):
        check_birth_date(date(2030, 1, 1), date(2026, 11, 27))
    assert check_birth_date(BIRTH, date(2026, 11, 27)) == BIRTH


def test_emails_are_compared_in_lower_case_and_malformed_ones_rejected():
    assert normalize_email("  Siti.Rahma@Example.CO.ID ") == "siti.rahma@example.co.id"
    for bad in ("siti", "siti@", "@example.com", "siti@localhost", ""):
        with pytest.raises(ValidationError):
            normalize_email(bad)


def test_phones_become_e164_and_garbage_is_rejected():
    assert normalize_phone("0812-3456-7890") == "+6281234567890"
    assert normalize_phone("+62 812 3456 7890") == "+6281234567890"
    for bad in ("12345", "phone", "+62 1", ""):
        with pytest.raises(ValidationError):
            normalize_phone(bad)


def test_only_numbers_of_the_allowed_countries_register_so_nobody_pumps_sms_abroad():
    for abroad in ("+44 20 7946 0958", "+1 202 555 0143", "+882 1234 5678"):
        with pytest.raises(ValidationError) as refused:
            normalize_phone(abroad)
        assert "phone" in refused.value.errors
    assert normalize_phone("+44 20 7946 0958", countries=("ID", "GB")) == "+442079460958"
    assert normalize_phone("+1 202 555 0143", countries=()) == "+12025550143"


@pytest.mark.parametrize(
    "password",
    ["short pass", "password1234", "qwertyuiop123", "123456789012", "aaaaaaaaaaaaaaaa", "x" * 129],
)
def test_short_long_and_common_passwords_are_rejected(password):
    with pytest.raises(ValidationError) as exc:
        check_password(password)
    assert "password" in field_error(exc)


def test_passwords_built_from_the_persons_own_data_are_rejected():
    with pytest.raises(ValidationError):
        check_password("rahmawati-kopi-1990", ["siti.rahma", "Siti Rahmawati"])


def test_no_composition_rules_a_long_passphrase_passes():
    assert check_password("kopi susu di pagi hari") == "kopi susu di pagi hari"


@pytest.mark.parametrize("length", [73, 100, 128])
def test_passwords_longer_than_zxcvbn_takes_are_judged_not_a_server_error(length):
    """zxcvbn raises ValueError past 72 characters; the API allows 128 (a 500 the contract tier found)."""
    passphrase = ("kopi susu di pagi hari, nasi uduk di siang hari " * 3)[:length]
    assert check_password(passphrase) == passphrase
    with pytest.raises(ValidationError):
        check_password("a" * length)
