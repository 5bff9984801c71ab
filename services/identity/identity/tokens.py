"""Access tokens (EdDSA JWTs the gateway verifies with the public key alone) and opaque refresh tokens.

The claims are exactly those of docs/contracts.md: sub, role, office, pref, typ, iss, aud, iat, exp, jti, and
for staff ``sid`` (the session: the refresh-token family), by which the gateway refuses a token whose session
ended. Staff tokens live ``STAFF_ACCESS_TTL_SECONDS`` (5 minutes), citizens' 15 minutes as before.
"""

import secrets
import uuid
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ISSUER = "antre-identity"
AUDIENCE = "antre"
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
STAFF_ROLES = ("officer", "supervisor", "admin")


class TokenSigner:
    def __init__(self, private_key_pem, access_ttl=ACCESS_TTL, staff_access_ttl=ACCESS_TTL):
        if not private_key_pem or not private_key_pem.strip():
            raise ValueError("JWT_PRIVATE_KEY is not set")
        self.key = load_pem_private_key(private_key_pem.encode(), password=None)
        self.access_ttl = access_ttl
        self.staff_access_ttl = staff_access_ttl

    def ttl_for(self, role):
        return self.staff_access_ttl if role in STAFF_ROLES else self.access_ttl

    def access_token(self, user, now: datetime, session_id=None):
        """``user``: anything with ``id``, ``role``, ``office_code``, ``person_ref``; ``session_id``: the refresh
        family, written as ``sid`` for staff."""
        ttl = self.ttl_for(user.role)
        claims = {
            "sub": str(user.id),
            "role": user.role,
            "typ": "access",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if user.office_code:
            claims["office"] = user.office_code
        if user.person_ref:
            claims["pref"] = user.person_ref
        if session_id and user.role in STAFF_ROLES:
            claims["sid"] = str(session_id)
        return jwt.encode(claims, self.key, algorithm="EdDSA")

    def expires_in(self, role="citizen"):
        return int(self.ttl_for(role).total_seconds())


def new_refresh_token():
    return secrets.token_urlsafe(32)
