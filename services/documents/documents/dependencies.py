"""Documents' nameko dependencies: its settings and the files' key ring, read once per process."""

from nameko.extensions import DependencyProvider

from documents.crypto import Keyring
from documents.settings import Settings


class DocumentsKeys(DependencyProvider):
    """``self.keys.settings`` and ``self.keys.keyring``; a missing key stops the process at start."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)
        self.keyring = Keyring(self.settings.keys)

    def get_dependency(self, worker_ctx):
        return self
