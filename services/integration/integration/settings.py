"""Integration's settings, read once per process: the only place a default lives (config.yaml leaves them
empty)."""

from dataclasses import dataclass

from antre_common.settings import read_settings

KEYS = {
    "retention_days": "INTEGRATION_RETENTION_DAYS",
    "purge_seconds": "INTEGRATION_PURGE_SECONDS",
    "token_seconds": "INTEGRATION_TOKEN_SECONDS",
    "page_default": "INTEGRATION_PAGE_DEFAULT",
    "page_max": "INTEGRATION_PAGE_MAX",
    "stats_seconds": "INTEGRATION_STATS_SECONDS",
    "stats_delay_hours": "INTEGRATION_STATS_DELAY_HOURS",
    "stats_catch_up_days": "INTEGRATION_STATS_CATCH_UP_DAYS",
}


@dataclass(frozen=True)
class Settings:
    # Replay keeps every CloudEvent this long (API.md: a ministry down for a week catches up); the purge
    # timer runs this often.
    retention_days: int = 30
    purge_seconds: float = 600.0
    # Integration access tokens (opaque, stored hashed): as long as the suite's access tokens.
    token_seconds: int = 900
    # GET /api/v1/integration/events: events per page without ?limit=, and the most one page may ask for
    # (1,000 CloudEvents of ~400 bytes: ~0.4 MB, one RPC reply well inside the deadline, bench/integration).
    page_default: int = 100
    page_max: int = 1000
    # The daily aggregates of the days that ended are published this often (idempotent per day).
    stats_seconds: float = 900.0
    # A day is published this long after it ended in the last office (no-shows are marked after the slot's
    # grace period), and up to this many past days are caught up after an outage.
    stats_delay_hours: int = 3
    stats_catch_up_days: int = 3

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)
