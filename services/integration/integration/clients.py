"""Integration clients (OAuth2 client credentials) and their access tokens.

Decision (README): clients live here, not in identity. They are machines of other ministries, not people:
identity's accounts, roles and JWTs are for people, and a JWT could not be revoked before it expires. An
integration token is opaque, stored hashed here, and good for the replay only; revoking or rotating a
client deletes its tokens, so access ends at once. Secrets and tokens are 256 random bits, kept as
SHA-256 (a fast hash suffices for random secrets) and compared in constant time.
"""

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from antre_common.envelope import utcnow
from antre_common.errors import Conflict
from integration.exceptions import ClientNotFound, ClientRevoked, InvalidClient, InvalidToken
from integration.models import AccessToken, Client

log = logging.getLogger(__name__)
TOKEN_PREFIX = "ait_"  # noqa: S105 - a prefix, recognisable in a leaked log or by a secret scanner


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()


def _view(client):
    return {
        "client_id": client.client_id,
        "name": client.name,
        "status": "revoked" if client.revoked else "active",
        "created_at": client.created_at.isoformat(),
        "rotated_at": client.rotated_at.isoformat() if client.rotated_at else None,
        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
    }


def _uuid(value):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


class Clients:
    def __init__(self, db, settings):
        self.db = db
        self.settings = settings

    def create(self, name, actor_id):
        """The new client with its secret: the only time the secret is shown."""
        secret = secrets.token_urlsafe(32)
        client = Client(client_id=str(uuid.uuid4()), name=name, secret_hash=_hash(secret), created_by=actor_id)
        try:
            with self.db.transaction() as session:
                session.add(client)
                session.flush()
                view = _view(client)
        except IntegrityError:
            raise Conflict("a client with this name exists", errors={"name": ["already used"]}) from None
        log.info("integration client created", extra={"client_id": client.client_id, "actor_id": actor_id})
        return view | {"client_secret": secret}

    def list(self):
        with self.db.transaction() as session:
            return [_view(c) for c in session.scalars(select(Client).order_by(Client.created_at))]

    def rotate(self, client_id, actor_id):
        """A new secret; the old one and every token issued with it stop at once."""
        secret = secrets.token_urlsafe(32)
        with self.db.transaction() as session:
            client = self._get(session, client_id)
            if client.revoked:
                raise ClientRevoked("revoked clients cannot be rotated")
            client.secret_hash, client.rotated_at = _hash(secret), utcnow()
            session.execute(delete(AccessToken).where(AccessToken.client_id == client.client_id))
            view = _view(client)
        log.info("integration client rotated", extra={"client_id": client_id, "actor_id": actor_id})
        return view | {"client_secret": secret}

    def revoke(self, client_id, actor_id):
        """No more tokens, and the issued ones stop at once. Idempotent."""
        with self.db.transaction() as session:
            client = self._get(session, client_id)
            if not client.revoked:
                client.revoked, client.revoked_at = True, utcnow()
            session.execute(delete(AccessToken).where(AccessToken.client_id == client.client_id))
            view = _view(client)
        log.info("integration client revoked", extra={"client_id": client_id, "actor_id": actor_id})
        return view

    def issue_token(self, client_id, client_secret):
        with self.db.transaction() as session:
            client = session.get(Client, _uuid(client_id)) if _uuid(client_id) else None
            if client is None or not hmac.compare_digest(client.secret_hash, _hash(client_secret or "")):
                raise InvalidClient("unknown client or wrong secret")
            if client.revoked:
                raise ClientRevoked("client revoked")
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            expires_at = utcnow() + timedelta(seconds=self.settings.token_seconds)
            session.add(AccessToken(token_hash=_hash(token), client_id=client.client_id, expires_at=expires_at))
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.settings.token_seconds}

    def authenticate(self, token):
        """The client id of a valid token, else INVALID_TOKEN (unknown or expired) / CLIENT_REVOKED."""
        if not token or not token.startswith(TOKEN_PREFIX):
            raise InvalidToken("not an integration token")
        with self.db.transaction() as session:
            row = session.execute(
                select(AccessToken, Client)
                .join(Client, Client.client_id == AccessToken.client_id)
                .where(AccessToken.token_hash == _hash(token))
            ).first()
            if row is None or row.AccessToken.expires_at <= utcnow():
                raise InvalidToken("unknown or expired token")
            if row.Client.revoked:
                raise ClientRevoked("client revoked")
            return row.Client.client_id

    def purge_tokens(self):
        with self.db.transaction() as session:
            return session.execute(delete(AccessToken).where(AccessToken.expires_at <= utcnow())).rowcount

    def _get(self, session, client_id):
        client = session.get(Client, _uuid(client_id), with_for_update=True) if _uuid(client_id) else None
        if client is None:
            raise ClientNotFound("no such client")
        return client
