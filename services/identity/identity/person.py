"""Rules about the person: NIK against birth date, phone and email normal forms, password policy.

Plain functions that return normalised values or raise ``ValidationError`` with field messages.
"""

import re
from datetime import date

import phonenumbers
from stdnum.exceptions import ValidationError as NumberError
from stdnum.id import nik as stdnum_nik
from zxcvbn import zxcvbn

from identity.exceptions import ValidationError

PASSWORD_MIN = 12  # NIST SP 800-63B: length, not composition; 12 because the password is the only factor
PASSWORD_MAX = 128  # long enough for passphrases, short enough to bound hashing work
ZXCVBN_MAX = 72
PASSWORD_MIN_SCORE = 3  # zxcvbn score: >= 10^8 guesses; rejects the common and dictionary-based ones
FEMALE_DAY_OFFSET = 40


def invalid(field, message):
    return ValidationError("invalid input", errors={field: [message]})


def check_nik(nik, birth_date: date):
    """The NIK, compacted, if it is valid and its date digits are ``birth_date``; returns (nik, sex)."""
    try:
        number = stdnum_nik.validate(nik)  # length, digits, province code, a real date
    except NumberError as exc:
        raise invalid("nik", f"invalid NIK: {exc.message}") from None
    day, month, year = int(number[6:8]), int(number[8:10]), int(number[10:12])
    sex = "F" if day > FEMALE_DAY_OFFSET else "M"
    if sex == "F":
        day -= FEMALE_DAY_OFFSET
    if (day, month, year) != (birth_date.day, birth_date.month, birth_date.year % 100):
        raise invalid("nik", "NIK does not match the birth date")
    return number, sex


def check_birth_date(birth_date: date, today: date):
    if birth_date > today:
        raise invalid("birth_date", "birth date is in the future")
    if birth_date.year < today.year - 130:
        raise invalid("birth_date", "birth date is too far in the past")
    return birth_date


def normalize_email(email):
    """Email addresses are compared case-insensitively (what people expect, though RFC 5321 allows more)."""
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or not domain or "." not in domain or len(email) > 254:
        raise invalid("email", "invalid email address")
    return email


def normalize_phone(phone, region="ID", countries=("ID",)):
    """E.164 (``+6281234567890``); local numbers like ``0812…`` are read as Indonesian. Only numbers of
    ``countries`` (empty: any): every registration texts its number, and an open list lets anyone spend our
    SMS budget on premium international numbers (SMS pumping)."""
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        raise invalid("phone", "invalid phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise invalid("phone", "invalid phone number")
    if countries and phonenumbers.region_code_for_number(parsed) not in countries:
        raise invalid("phone", f"a phone number of {', '.join(countries)} only")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_password(password, context=()):
    """NIST SP 800-63B: at least ``PASSWORD_MIN`` characters, no composition rules, not a common or
    easily guessed password, and not built from the person's own data (``context``: email local part, name,
    NIK)."""
    if len(password) < PASSWORD_MIN:
        raise invalid("password", f"at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise invalid("password", f"at most {PASSWORD_MAX} characters")
    words = [w for value in context if value for w in re.split(r"[^a-z0-9]+", str(value).lower()) if len(w) >= 4]
    lowered = password.lower()
    if any(w in lowered for w in words):
        raise invalid("password", "must not contain your name, email or NIK")
    # zxcvbn refuses more than 72 characters (ValueError): the first 72 are judged (a long passphrase's
    # strength is already there), the whole is hashed.
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=words)["score"] < PASSWORD_MIN_SCORE:
        raise invalid("password", "too common or too easy to guess")
    return password
