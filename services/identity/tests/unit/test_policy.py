"""One-time codes, resend limits, masking."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from identity import policy

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def code(**kw):
    return SimpleNamespace(**{"consumed_at": None, "expires_at": NOW + timedelta(minutes=5), "attempts": 0, **kw})


def test_codes_are_six_digits_and_vary():
    codes = {policy.new_otp_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_a_code_is_valid_five_minutes_and_five_tries():
    assert policy.OTP_TTL == timedelta(minutes=5)
    assert policy.otp_state(code(), NOW) is None
    assert policy.otp_state(code(expires_at=NOW), NOW) == "expired"
    assert policy.otp_state(code(attempts=4), NOW) is None
    assert policy.otp_state(code(attempts=5), NOW) == "exhausted"
    assert policy.otp_state(code(consumed_at=NOW), NOW) == "used"
    assert policy.otp_state(None, NOW) == "used"


def test_resend_waits_a_minute_between_codes_and_allows_five_an_hour():
    assert policy.resend_wait([], NOW) == 0
    assert 29 <= policy.resend_wait([NOW - timedelta(seconds=30)], NOW) <= 31
    assert policy.resend_wait([NOW - timedelta(seconds=61)], NOW) == 0
    five = [NOW - timedelta(minutes=m) for m in (50, 40, 30, 20, 10)]
    assert 9 * 60 <= policy.resend_wait(five, NOW) <= 10 * 60 + 1
    old = [NOW - timedelta(minutes=m) for m in (70, 65, 30, 20, 10)]
    assert policy.resend_wait(old, NOW) == 0


def test_nik_masking_keeps_region_and_last_four():
    assert policy.mask_nik("3171015708450001") == "3171**57****0001"
    # Two neighbours with the same regency and serial, born on other days, are told apart.
    assert policy.mask_nik("3171011203900001") != policy.mask_nik("3171015708450001")
    assert policy.mask_nik(None) is None


def test_the_address_limit_is_looser_than_the_account_limit():
    assert policy.max_failures("account:ab") == policy.ACCOUNT_MAX_FAILURES == 5
    assert policy.max_failures("address:10.0.0.1") > policy.ACCOUNT_MAX_FAILURES
