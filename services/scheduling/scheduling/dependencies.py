"""Scheduling's nameko dependencies: its settings with the catalogue loaded at start, and the read cache."""

import logging
from types import SimpleNamespace

from nameko.extensions import DependencyProvider

from antre_common.db import Database, DbHandle, retry_rolled_back
from scheduling import catalogue
from scheduling.actions import Scheduling
from scheduling.read_cache import ReadCache
from scheduling.settings import Settings

log = logging.getLogger(__name__)


class SchedulingRuntime(DependencyProvider):
    """Settings, and the catalogue loaded from the data file when the process starts (readiness waits)."""

    readiness_name = "catalogue"

    def setup(self):
        self.settings = Settings.from_config(self.container.config)
        self.loaded = self.released = False

    def start(self):
        db = next(ext for ext in self.container.extensions if isinstance(ext, Database))
        # Replicas start while others take bookings: a deadlock with their traffic is retried, not fatal.
        offices, services = retry_rolled_back(lambda: catalogue.load_data_file(db.sessionmaker))
        self.loaded = True
        # The first release happens here, not in the eager timer, so it cannot run before the load. The
        # process's cache is still empty, so the release drops from a throwaway one.
        handle = DbHandle(db, SimpleNamespace(context_data={}))
        try:
            cache = ReadCache(self.settings.availability_cache_seconds)
            retry_rolled_back(Scheduling(handle, self.settings, cache).release_slots)
        finally:
            handle.close()
        self.released = True
        log.info("catalogue loaded", extra={"offices": offices, "services": services})

    def ready(self):
        if not (self.loaded and self.released):
            raise RuntimeError("catalogue not loaded or first release not done yet")

    def get_dependency(self, worker_ctx):
        return self


class ReadCacheProvider(DependencyProvider):
    """One ``ReadCache`` per process, shared by its workers (``AVAILABILITY_CACHE_SECONDS``)."""

    def setup(self):
        self.cache = ReadCache(Settings.from_config(self.container.config).availability_cache_seconds)

    def get_dependency(self, worker_ctx):
        return self.cache
