"""Notification's settings, read once per process: the only place a default lives (config.yaml leaves them
empty)."""

from dataclasses import dataclass

from antre_common.settings import read_settings

KEYS = {
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_tls": "SMTP_TLS",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "smtp_ca_file": "SMTP_CA_FILE",
    "smtp_timeout_seconds": "SMTP_TIMEOUT_SECONDS",
    "smtp_pool_size": "SMTP_POOL_SIZE",
    "smtp_keep_seconds": "SMTP_KEEP_SECONDS",
    "mail_from": "MAIL_FROM",
    "sms_provider": "SMS_PROVIDER",
    "sms_outbox_path": "SMS_OUTBOX_PATH",
    "sms_http_url": "SMS_HTTP_URL",
    "sms_http_key": "SMS_HTTP_KEY",
    "sms_timeout_seconds": "SMS_TIMEOUT_SECONDS",
    "delivery_poll_seconds": "DELIVERY_POLL_SECONDS",
    "retry_base_seconds": "RETRY_BASE_SECONDS",
    "retry_max_seconds": "RETRY_MAX_SECONDS",
    "max_attempts": "RETRY_MAX_ATTEMPTS",
    "lease_seconds": "DELIVERY_LEASE_SECONDS",
    "retention_days": "DELIVERY_RETENTION_DAYS",
    "housekeeping_seconds": "HOUSEKEEPING_SECONDS",
    "check_code_key": "CHECK_CODE_KEY",
    "message_keys": "MESSAGE_KEYS",
    "otp_private_keys": "OTP_PRIVATE_KEYS",
    "check_url": "CHECK_URL",
    "verify_limit": "VERIFY_LIMIT",
    "verify_window_seconds": "VERIFY_WINDOW_SECONDS",
}


@dataclass(frozen=True)
class Settings:
    # Mail relay (secrets only from the environment) and SMS provider (file: development JSON lines; http: a
    # gateway). Channels read these through channels.py.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: str = "none"  # none | starttls | ssl (a yes/no value means STARTTLS or not)
    smtp_user: str | None = None
    smtp_password: str | None = None
    # The relay's certificate is verified (host name included) against the system's CAs, or against this PEM
    # file when the relay's CA is a private one.
    smtp_ca_file: str | None = None
    smtp_timeout_seconds: float = 10.0
    # Connections kept open for the next mails (at most smtp_pool_size idle ones), each reused until it has
    # been idle smtp_keep_seconds (relays close idle connections: Postfix after 300 s); one the relay closed
    # earlier is found closed at MAIL and replaced, the message sent once.
    smtp_pool_size: int = 4
    smtp_keep_seconds: float = 60.0
    mail_from: str = "Antre <no-reply@antre.imigrasi.go.id>"
    sms_provider: str = "file"
    sms_outbox_path: str = "var/sms/messages.jsonl"
    sms_http_url: str | None = None
    sms_http_key: str | None = None
    sms_timeout_seconds: float = 10.0
    # Retries: first retry after retry_base_seconds, doubling up to retry_max_seconds, failed after max_attempts.
    delivery_poll_seconds: float = 2.0
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 600.0
    max_attempts: int = 12
    lease_seconds: float = 120.0
    # Final deliveries (and past bookings' references) are deleted after this many days.
    retention_days: int = 90
    housekeeping_seconds: float = 600.0
    batch: int = 50
    # Check codes (checkcodes.py), secrets only from the environment: the HMAC key of their lookup hash and
    # the AES-GCM ring (kid:base64key,…) that seals codes and inbox lines. Without them the process stops.
    check_code_key: str | None = None
    message_keys: str | None = None
    # One-time codes arrive sealed with this ring's newest public key (antre_common.sealed_box): notification
    # alone opens them, only to render the message; kid:base64(32-byte X25519 private key),…, every key opens.
    otp_private_keys: str | None = None
    # Where a message tells people to check its code (the web app's "Cek pesan" page).
    check_url: str = "https://antre.imigrasi.go.id/check"
    # Verification per address: verify_limit tries per window. A person checks a handful of messages; a
    # guesser meets 429 after that, and 50-bit codes leave ~1e-9 of a hit per guess at 1e6 messages kept.
    verify_limit: int = 20
    verify_window_seconds: float = 600.0

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)
