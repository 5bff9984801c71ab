"""Access tokens (EdDSA JWTs the gateway verifies with the public key alone) and opaque refresh tokens.

The claims are exactly those of docs/contracts.md: sub, role, office, pref, typ, iss, aud, iat, exp, jti.
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


class TokenSigner:
    def __init__(self, private_key_pem, access_ttl=ACCESS_TTL):
        if not private_key_pem or not private_key_pem.strip():
            raise ValueError("JWT_PRIVATE_KEY is not set")
        self.key = load_pem_private_key(private_key_pem.encode(), password=None)
        self.access_ttl = access_ttl

    def access_token(self, user, now: datetime):
        """``user``: anything with ``id``, ``role``, ``office_code``, ``person_ref``."""
        claims = {
            "sub": str(user.id),
            "role": user.role,
            "typ": "access",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if user.office_code:
            claims["office"] = user.office_code
        if user.person_ref:
            claims["pref"] = user.person_ref
        return jwt.encode(claims, self.key, algorithm="EdDSA")

    @property
    def expires_in(self):
        return int(self.access_ttl.total_seconds())


def new_refresh_token():
    return secrets.token_urlsafe(32)
