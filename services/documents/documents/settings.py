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
    "max_decoded_bytes": "DOCUMENTS_MAX_DECODED_BYTES",
    "sandbox_workers": "DOCUMENTS_SANDBOX_WORKERS",
    "sandbox_memory_bytes": "DOCUMENTS_SANDBOX_MEMORY_BYTES",
    "sandbox_seconds": "DOCUMENTS_SANDBOX_SECONDS",
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
    # Files are judged and sanitised in worker processes (sandbox.py), at most this many at once, each
    # with this much address space (its imports take ~70 MiB of it) and this long per file. The pod's
    # memory limit covers the service and sandbox_workers × (max_decoded_bytes × 2 + ~40 MiB resident).
    sandbox_workers: int = 2
    sandbox_memory_bytes: int = 512 * 1024 * 1024
    sandbox_seconds: float = 20.0
    # An image whose pixels would take more than this once decoded (width × height × bands × bytes per
    # band, read from its header) is refused before decoding: 80 MiB is a 24 Mpx RGB photo.
    max_decoded_bytes: int = 80 * 1024 * 1024

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)
