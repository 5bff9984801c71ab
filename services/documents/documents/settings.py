"""Documents' settings, read once per process: the only place a default lives (config.yaml leaves them empty)."""

from dataclasses import dataclass

from antre_common.settings import read_settings

KEYS = {
    "keys": "DOCUMENTS_KEYS",
    "max_bytes": "DOCUMENTS_MAX_BYTES",
    "retention_days": "DOCUMENTS_RETENTION_DAYS",
    "retention_sweep_seconds": "DOCUMENTS_RETENTION_SWEEP_SECONDS",
}


@dataclass(frozen=True)
class Settings:
    keys: str | None = None  # secret: the files' key ring; no default, a process without it refuses to start
    max_bytes: int = 5 * 1024 * 1024  # upload cap; the gateway has its own copy of the figure (docs/contracts.md)
    retention_days: float = 30.0  # files deleted this long after the booking ends
    retention_sweep_seconds: float = 3600.0

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)
