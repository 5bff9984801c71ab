"""Identity's settings, read once per process: the only place a default lives (config.yaml leaves them empty)."""

from dataclasses import dataclass

from antre_common.settings import read_settings

KEYS = {
    "jwt_private_key": "JWT_PRIVATE_KEY",
    "data_keys": "DATA_KEYS",
    "lookup_key": "LOOKUP_KEY",
    "person_ref_key": "PERSON_REF_KEY",
    "otp_public_key": "OTP_PUBLIC_KEY",
    "admin_email": "ANTRE_ADMIN_EMAIL",
    "admin_password": "ANTRE_ADMIN_PASSWORD",
    "admin_totp_secret": "ANTRE_ADMIN_TOTP_SECRET",
    "staff_access_ttl_seconds": "STAFF_ACCESS_TTL_SECONDS",
    "login_challenge_seconds": "LOGIN_CHALLENGE_SECONDS",
    "argon2_time_cost": "ARGON2_TIME_COST",
    "argon2_memory_kib": "ARGON2_MEMORY_KIB",
    "argon2_parallelism": "ARGON2_PARALLELISM",
    "argon2_max_concurrent": "ARGON2_MAX_CONCURRENT",
    "housekeeping_seconds": "HOUSEKEEPING_SECONDS",
    "phone_countries": "PHONE_COUNTRIES",
    "accounts_per_phone": "ACCOUNTS_PER_PHONE",
    "register_rate_address": "REGISTER_RATE_ADDRESS",
    "register_rate_phone": "REGISTER_RATE_PHONE",
    "register_rate_email": "REGISTER_RATE_EMAIL",
    "pending_account_ttl_seconds": "PENDING_ACCOUNT_TTL_SECONDS",
    "registry_url": "REGISTRY_URL",
    "registry_user": "REGISTRY_USER",
    "registry_password": "REGISTRY_PASSWORD",
    "registry_timeout_seconds": "REGISTRY_TIMEOUT_SECONDS",
    "registry_retries": "REGISTRY_RETRIES",
    "registry_backoff_seconds": "REGISTRY_BACKOFF_SECONDS",
    "registry_breaker_failures": "REGISTRY_BREAKER_FAILURES",
    "registry_breaker_reset_seconds": "REGISTRY_BREAKER_RESET_SECONDS",
}


@dataclass(frozen=True)
class Settings:
    # Secrets (docs/contracts.md): no defaults; a process without them refuses to start.
    jwt_private_key: str | None = None
    data_keys: str | None = None
    lookup_key: str | None = None
    person_ref_key: str | None = None  # unset: the single LOOKUP_KEY; required when it holds several
    # notification's public key (antre_common.sealed_box): one-time codes leave identity only sealed with it.
    otp_public_key: str | None = None
    admin_email: str | None = None
    admin_password: str | None = None
    # The first admin's authenticator secret (base32), from the same secret store as the password: the first
    # admin is then enrolled from the start. Unset: they enrol at first sign-in like any staff member.
    admin_totp_secret: str | None = None
    # Staff access tokens live 5 minutes (citizens' 15): the gateway also refuses them at once when their session
    # ends, and the short life bounds what a replica that missed that news could still accept.
    staff_access_ttl_seconds: float = 300.0
    # Between a staff member's right password and their authenticator code (and enrolment): a few minutes.
    login_challenge_seconds: float = 300.0
    # OWASP's first argon2id choice (m = 19 MiB, t = 2, p = 1): ~35 ms on one core of the dev machine, so a
    # login burst on a 2-core node stays within RPC deadlines and memory stays bounded (19 MiB per hashing
    # thread). Raise them when the hardware allows; hashes carry their own parameters and are upgraded at
    # the next successful login.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    argon2_max_concurrent: int = 0  # hashes at once; 0: one per core
    housekeeping_seconds: float = 30.0
    # Countries whose phone numbers may register (ISO 3166 codes, comma-separated; empty: any). Indonesia
    # only: Antre serves Indonesian offices, and each registration sends an SMS to the number it gives.
    phone_countries: str = "ID"
    # A phone number may belong to this many accounts: a parent's phone on a grown child's account is
    # common; a broker's script inventing identities needs many. Family members book as dependents instead.
    accounts_per_phone: int = 2
    # Registrations (``count/seconds``) per client address, per phone number and per email, counted in the
    # database so replicas share them: each sends an SMS, and each 409 tells whether a NIK or email is known.
    # An office or a campus shares one address; a family registers a few people on one phone.
    register_rate_address: str = "20/3600"
    register_rate_phone: str = "5/3600"
    register_rate_email: str = "5/3600"
    # An account never verified is deleted after a day (spec/API.md), freeing its NIK and email.
    pending_account_ttl_seconds: float = 86400.0
    # The population registry (identity/registry.py). URL and credentials are deployment facts: no default.
    registry_url: str | None = None
    registry_user: str | None = None
    registry_password: str | None = None
    # Budget inside the 5 s RPC deadline of the gateway: 1.5 s an attempt, at most 2 retries after a refused
    # connection or a 502/503/504 (0.2 s, then 0.4 s apart); a read timeout is not retried. Worst case ~3.6 s.
    registry_timeout_seconds: float = 1.5
    registry_retries: int = 2
    registry_backoff_seconds: float = 0.2
    # 5 lookups in a row without an answer open the breaker for 30 s: callers get 503 at once; after that,
    # lookups go through again and the first failure opens it anew.
    registry_breaker_failures: int = 5
    registry_breaker_reset_seconds: float = 30.0

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS)

    @property
    def phone_country_codes(self):
        return tuple(c.strip().upper() for c in self.phone_countries.split(",") if c.strip())

    @property
    def register_rates(self):
        """``{kind: (count, seconds)}`` of the registration limits."""
        rates = {"address": self.register_rate_address, "phone": self.register_rate_phone,
                 "email": self.register_rate_email}  # fmt: skip
        return {kind: (int(v.split("/")[0]), float(v.split("/")[1])) for kind, v in rates.items()}

    @property
    def argon2(self):
        """The ``argon2.PasswordHasher`` parameters."""
        return {
            "time_cost": self.argon2_time_cost,
            "memory_cost": self.argon2_memory_kib,
            "parallelism": self.argon2_parallelism,
        }
