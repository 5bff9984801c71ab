"""Notification's nameko dependencies: its settings and channels, built once per process from config."""

from types import SimpleNamespace

from nameko.extensions import DependencyProvider

from antre_common.sealed_box import OpeningKeys
from notification.channels import SmtpMailer, sms_provider_from_config
from notification.checkcodes import CheckCodes
from notification.settings import Settings
from notification.templates import Renderer


class Channels(DependencyProvider):
    """``self.channels.mailer``, ``.sms``, ``.renderer``, ``.codes``, ``.otp_keys``, ``.settings``: built once per
    process from config. A missing or bad key stops the process at start, not at the first message."""

    def setup(self):
        config = self.container.config
        settings = Settings.from_config(config)
        self.value = SimpleNamespace(
            codes=CheckCodes(settings.check_code_key, settings.message_keys),
            otp_keys=OpeningKeys(settings.otp_private_keys, "OTP_PRIVATE_KEYS"),
            mailer=SmtpMailer.from_config(config),
            sms=sms_provider_from_config(config),
            renderer=Renderer(),
            settings=settings,
        )

    def get_dependency(self, worker_ctx):
        return self.value

    def stop(self):
        self.value.mailer.close()  # the kept SMTP connections say goodbye

    def kill(self):
        self.value.mailer.close()
