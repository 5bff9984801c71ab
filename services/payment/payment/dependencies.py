"""Payment's nameko dependencies: settings, the fee table and the channel's keys (read once per process), and
the channel's settlement list for the daily reconciliation."""

import requests
from nameko.extensions import DependencyProvider

from payment.channel import parse_secrets
from payment.fees import FeeTable
from payment.settings import Settings


class PaymentRuntime(DependencyProvider):
    """``self.runtime.settings``, ``.fees``, ``.ring``; a broken fee table or key ring stops the process at start."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)
        self.fees = FeeTable.load()
        self.ring = parse_secrets(self.settings.channel_secrets)
        if not self.ring:
            raise RuntimeError("PAYMENT_CHANNEL_SECRETS is empty: no notification could ever be verified")

    def get_dependency(self, worker_ctx):
        return self


class Settlements(DependencyProvider):
    """``self.settlements(day)``: the channel's settled transactions of a day, or None without a source."""

    def setup(self):
        self.url = Settings.from_config(self.container.config).settlement_url

    def get_dependency(self, worker_ctx):
        def fetch(day):
            if not self.url:
                return None
            response = requests.get(self.url, params={"date": day.isoformat()}, timeout=10)
            response.raise_for_status()
            return response.json()["settlements"]

        return fetch
