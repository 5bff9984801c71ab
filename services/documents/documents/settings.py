"""Documents' settings, read once per process: the only place a default lives (config.yaml leaves them empty)."""

from dataclasses import dataclass

from antre_common.settings import read_settings

KEYS = {
    "keys": "DOCUMENTS_KEYS",
    "max_bytes": "DOCUMENTS_MAX_BYTES",
    "retention_days": "DOCUMENTS_RETENTION_DAYS",
    "retention_sweep_seconds": "DOCUMENTS_RETENTION_SWEEP_SECONDS",
    "upload_grant_seconds": "DOCUMENTS_UPLOAD_GRANT_SECONDS",
    "spool_memory_bytes": "DOCUMENTS_SPOOL_MEMORY_BYTES",
    "spool_dir": "DOCUMENTS_SPOOL_DIR",
}


@dataclass(frozen=True)
class Settings:
    keys: str | None = None  # secret: the files' key ring; no default, a process without it refuses to start
    max_bytes: int = 5 * 1024 * 1024  # upload cap; the gateway has its own copy of the figure (docs/contracts.md)
    retention_days: float = 30.0  # files deleted this long after the booking ends
    retention_sweep_seconds: float = 3600.0
    # Streamed uploads (uploads.py): the gateway must start streaming within this of asking for the grant.
    upload_grant_seconds: float = 60.0
    # An upload is encrypted as it arrives into a spool: in memory up to this, then an unlinked temporary
    # file (ciphertext only) in spool_dir (None: the system's temporary directory, /tmp in the image).
    spool_memory_bytes: int = 1024 * 1024
    spool_dir: str | None = None

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)
