"""Payment's settings, read once per process: the only place a default lives (config.yaml leaves them empty)."""

from dataclasses import dataclass

from antre_common.settings import read_settings

KEYS = {
    "channel_secrets": "PAYMENT_CHANNEL_SECRETS",
    "timestamp_window_seconds": "PAYMENT_TIMESTAMP_WINDOW_SECONDS",
    "hold_seconds": "PAYMENT_HOLD_SECONDS",
    "reminder_before_seconds": "PAYMENT_REMINDER_BEFORE_SECONDS",
    "outage_grace_seconds": "PAYMENT_OUTAGE_GRACE_SECONDS",
    "expiry_sweep_seconds": "PAYMENT_EXPIRY_SWEEP_SECONDS",
    "settlement_url": "PAYMENT_CHANNEL_SETTLEMENT_URL",
    "reconcile_sweep_seconds": "PAYMENT_RECONCILE_SWEEP_SECONDS",
}


@dataclass(frozen=True)
class Settings:
    # secret: the payment channel's HMAC keys, "kid:secret,kid:secret"; every one listed is accepted, so a new
    # key is added beside the old one, the channel switches, then the old one goes (docs/runbook.md).
    channel_secrets: str | None = None
    timestamp_window_seconds: int = 300  # a notification signed longer ago (or ahead) than this is a replay
    hold_seconds: int = 7200  # the seat is held this long for payment unless fees.yaml says otherwise
    reminder_before_seconds: int = 1800  # payment_reminder_due this long before the deadline
    outage_grace_seconds: int = 3600  # a deadline that passed in a channel outage moves to its end plus this
    expiry_sweep_seconds: float = 1.0  # the seat returns at most this long after the deadline
    settlement_url: str | None = None  # the channel's settlement list (GET ?date=YYYY-MM-DD); None: no report
    reconcile_sweep_seconds: float = 3600.0  # yesterday's reconciliation is made on the first pass of a day

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)
