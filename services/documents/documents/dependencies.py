"""Documents' nameko dependencies: its settings and the files' key ring, read once per process, and the
sandbox processes that judge files."""

from nameko.extensions import DependencyProvider

from documents.crypto import Keyring
from documents.sandbox import Sandbox
from documents.settings import Settings


class DocumentsKeys(DependencyProvider):
    """``self.keys.settings`` and ``self.keys.keyring``; a missing key stops the process at start."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)
        self.keyring = Keyring(self.settings.keys)

    def get_dependency(self, worker_ctx):
        return self


class Sandboxes(DependencyProvider):
    """``self.sandbox``: the worker processes that judge and sanitise uploads (sandbox.py), one pool per
    process, started with the container and stopped with it."""

    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.sandbox = Sandbox(
            settings.sandbox_workers,
            settings.sandbox_memory_bytes,
            settings.sandbox_seconds,
            settings.max_decoded_bytes,
        )

    def start(self):
        self.container.spawn_managed_thread(self.sandbox.warm)

    def stop(self):
        self.sandbox.stop()

    def kill(self):
        self.sandbox.stop()

    def get_dependency(self, worker_ctx):
        return self.sandbox
