"""Billing codes and receipt numbers.

A billing code is 15 digits, as the state billing system's are (people type it into a bank app or read it
at an ATM): a non-zero first digit, 13 more drawn from ``secrets``, and a Damm check digit. The check digit
catches every single wrong digit and every swap of two neighbours, so a mistyped code is refused by the
channel before it reaches us; the 9×10^13 random codes make a guessed code practically never a real one
(a few hundred thousand bills are pending at most: fewer than one in 10^8 guesses hits). Uniqueness is the
database's (a collision is retried).
"""

import secrets

from antre_common.reservation_code import CodeFormat

LENGTH = 15
# Damm's quasigroup of order 10 (totally anti-symmetric): the check digit makes the interim digit 0.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
RECEIPT = CodeFormat(8, group=4)


def damm(digits):
    interim = 0
    for d in digits:
        interim = _DAMM[interim][int(d)]
    return interim


def new_billing_code():
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(LENGTH - 2))
    return body + str(damm(body))


def normalise(text):
    """The code without spaces or dashes, or None when it cannot be a billing code (length, digits, check)."""
    if not isinstance(text, str):
        return None
    value = "".join(text.split()).replace("-", "")
    if len(value) != LENGTH or not value.isdigit() or damm(value) != 0:
        return None
    return value


def new_receipt_number(paid_at):
    """``ANT`` + the UTC payment date + 8 random characters: ``ANT261202K7QDM2XP``, unique in the database."""
    return f"ANT{paid_at:%y%m%d}{RECEIPT.new()}"
