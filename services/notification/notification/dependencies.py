"""Nameko extensions of this service: its channels, and a timer whose interval comes from config."""

from types import SimpleNamespace

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from notification.channels import SmtpMailer, sms_provider_from_config
from notification.dispatch import Settings
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


class ConfigTimer(Timer):
    """``@poll("DELIVERY_POLL_SECONDS", 2.0)``: nameko's timer, interval read from config at setup."""

    def __init__(self, config_key, default, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.config_key = config_key

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key) or self.interval)


poll = ConfigTimer.decorator
