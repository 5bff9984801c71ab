"""Identity's own nameko dependencies: its keys (loaded once per process) and the first admin."""

import logging
from datetime import timedelta

from nameko.extensions import DependencyProvider

from antre_common.sealed_box import SealingKey
from identity.registry import RegistryClient
from identity.secrets_box import Passwords, Sealer
from identity.settings import Settings
from identity.tokens import TokenSigner

log = logging.getLogger(__name__)


class Keys:
    def __init__(self, settings):
        self.settings = settings
        self.box = Sealer(settings.data_keys, settings.lookup_key, settings.person_ref_key)
        self.signer = TokenSigner(
            settings.jwt_private_key, staff_access_ttl=timedelta(seconds=settings.staff_access_ttl_seconds)
        )
        self.otp_box = SealingKey(settings.otp_public_key, "OTP_PUBLIC_KEY")
        self.passwords = Passwords(max_concurrent=settings.argon2_max_concurrent or None, **settings.argon2)


class IdentityKeys(DependencyProvider):
    """``self.keys``: the settings, the sealer, the token signer and the password hasher. A missing key stops
    the process at start, not at the first request."""

    def setup(self):
        self.keys = Keys(Settings.from_config(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.keys


class PopulationRegistry(DependencyProvider):
    """``self.registry``: one registry client per process (its connection pool and circuit breaker are shared
    by every worker, so the breaker sees the registry's health, not one worker's)."""

    def setup(self):
        self.client = RegistryClient(Settings.from_config(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.client


class FirstAdmin(DependencyProvider):
    """Makes the first admin from ``ANTRE_ADMIN_EMAIL``/``ANTRE_ADMIN_PASSWORD`` when the process starts
    and no admin exists yet. Readiness waits for it, so nobody is told "ready" before an admin can log in."""

    readiness_name = "first_admin"

    def setup(self):
        self.done = False
        self.error = None

    def start(self):
        self.container.spawn_managed_thread(self._run)

    def _run(self):
        from antre_common.db import Database, DbHandle
        from identity.staff import Staff

        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        keys = next(d for d in self.container.dependencies if isinstance(d, IdentityKeys)).keys
        handle = DbHandle(database, None)  # no events are written here, so no worker context is needed
        try:
            settings = keys.settings
            created = Staff(handle, keys).bootstrap_admin(
                settings.admin_email, settings.admin_password, settings.admin_totp_secret
            )
            if created:
                log.info("first admin created", extra={"user_id": created["user_id"]})
            self.done = True
        except Exception as exc:  # noqa: BLE001 - reported by readiness; an SRE fixes the config and restarts
            self.error = f"{type(exc).__name__}: {str(exc)[:200]}"
            log.exception("could not create the first admin")
        finally:
            handle.close()

    def ready(self):
        if self.error:
            raise RuntimeError(self.error)
        if not self.done:
            raise RuntimeError("not yet")

    def get_dependency(self, worker_ctx):
        return self
