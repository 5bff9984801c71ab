"""The pure rules of staff's authenticator codes (identity/totp.py)."""

from datetime import UTC, datetime, timedelta

import pyotp

from identity import totp

NOW = datetime(2026, 12, 2, 4, 0, 10, tzinfo=UTC)


def test_a_code_matches_its_step_and_one_step_of_drift_either_way_but_no_further():
    secret = totp.new_secret()
    app = pyotp.TOTP(secret)
    current = app.timecode(NOW)
    for drift in (-1, 0, 1):
        assert totp.matching_step(secret, app.generate_otp(current + drift), NOW) == current + drift
    for far in (-2, 2):
        assert totp.matching_step(secret, app.generate_otp(current + far), NOW) is None
    assert totp.matching_step(secret, app.at(NOW - timedelta(minutes=5)), NOW) is None
    assert totp.matching_step(secret, "12345", NOW) is None and totp.matching_step(secret, "abcdef", NOW) is None


def test_a_used_step_or_an_earlier_one_is_a_replay():
    assert totp.refusal(None, 10) == "wrong"
    assert totp.refusal(10, 10) == "replayed"
    assert totp.refusal(9, 10) == "replayed"
    assert totp.refusal(11, 10) is None
    assert totp.refusal(11, None) is None


def test_secrets_are_160_bits_and_the_uri_names_antre_and_the_account():
    secret = totp.new_secret()
    assert len(secret) == 32 and secret != totp.new_secret()
    uri = totp.provisioning_uri(secret, "rina@imigrasi.go.id")
    assert uri.startswith("otpauth://totp/Antre:rina%40imigrasi.go.id?") and f"secret={secret}" in uri
    assert "issuer=Antre" in uri
