"""The fee table (data/fees.yaml): which service is billed before the visit, how much, and on which legal basis."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from payment.exceptions import ServiceHasNoFee

DATA_FILE = Path(__file__).parent / "data" / "fees.yaml"


@dataclass(frozen=True)
class Fee:
    service_code: str
    tariff: str
    amount: int
    currency: str
    basis: str
    hold_seconds: int | None  # None: the PAYMENT_HOLD_SECONDS setting


class FeeTable:
    def __init__(self, data):
        self.source = data["source"]
        currency = data["currency"]
        tariffs = data["tariffs"]
        self.fees = {}
        for code, row in (data.get("services") or {}).items():
            tariff = tariffs[row["tariff"]]  # a KeyError here stops the process at start: a broken table
            amount = int(tariff["amount"])
            if amount <= 0:
                raise ValueError(f"fee of {code} must be positive")
            hold = row.get("hold_minutes")
            self.fees[code] = Fee(
                code, row["tariff"], amount, currency, tariff["basis"], None if hold is None else int(hold) * 60
            )

    @classmethod
    def load(cls, path=DATA_FILE):
        with open(path) as f:
            return cls(yaml.safe_load(f))

    def of(self, service_code):
        fee = self.fees.get(service_code)
        if fee is None:
            raise ServiceHasNoFee("the service is not billed before the visit", service_code=service_code)
        return fee

    def public(self):
        """``{service_code: {amount, currency, basis}}`` for the catalogue (GET /api/v1/services)."""
        return {c: {"amount": f.amount, "currency": f.currency, "basis": f.basis} for c, f in self.fees.items()}
