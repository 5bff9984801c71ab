"""Integration's nameko dependencies: its settings, read once per process."""

from nameko.extensions import DependencyProvider

from integration.settings import Settings


class Runtime(DependencyProvider):
    """``self.runtime.settings``."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self
