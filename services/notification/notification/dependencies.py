"""Notification's nameko dependencies: its settings and channels, built once per process from config."""

from types import SimpleNamespace

from nameko.extensions import DependencyProvider

from notification.channels import SmtpMailer, sms_provider_from_config
from notification.settings import Settings
from notification.templates import Renderer


class Channels(DependencyProvider):
    """``self.channels.mailer``, ``.sms``, ``.renderer``, ``.settings``: built once per process from config."""

    def setup(self):
        config = self.container.config
        self.value = SimpleNamespace(
            mailer=SmtpMailer.from_config(config),
            sms=sms_provider_from_config(config),
            renderer=Renderer(),
            settings=Settings.from_config(config),
        )

    def get_dependency(self, worker_ctx):
        return self.value
