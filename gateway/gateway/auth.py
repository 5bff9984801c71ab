"""Access tokens, verified at the edge with identity's public key alone (no call to identity).

Tokens are EdDSA (Ed25519) JWTs: ``sub`` the user id, ``role``, ``office`` for staff, ``pref`` the person
reference for citizens, ``typ`` access, ``iss`` antre-identity, ``aud`` antre.
Config: ``JWT_PUBLIC_KEY`` (one or more PEM blocks) or ``JWT_PUBLIC_KEY_FILE``.
"""

import re
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from nameko.extensions import SharedExtension

from gateway.errors import GatewayError
from gateway.revocations import RevokedSessions

ISSUER = "antre-identity"
AUDIENCE = "antre"
STAFF_ROLES = ("officer", "supervisor", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    office_code: str | None
    person_ref: str | None = None  # pseudonymous reference of the person's NIK (citizens), see docs/contracts.md

    @property
    def is_staff(self):
        return self.role in STAFF_ROLES

    def works_at(self, office_code):
        """Staff of this office (admins are national)."""
        return self.role == "admin" or (self.is_staff and self.office_code == office_code)


class TokenVerifier(SharedExtension):
    revoked = RevokedSessions()  # staff sessions that ended: their tokens stop at once (gateway/revocations.py)

    def setup(self):
        config = self.container.config
        pem = config.get("JWT_PUBLIC_KEY") or ""
        path = config.get("JWT_PUBLIC_KEY_FILE")
        if not pem.strip() and path:
            with open(path) as f:
                pem = f.read()
        # Several PEM blocks may be given: during a signing-key rotation the new key is added first and the
        # old one removed once its last tokens expired, so no valid token is ever refused.
        self.public_keys = [
            serialization.load_pem_public_key(block.encode())
            for block in re.findall(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", pem, re.S)
        ]

    def verify(self, authorization):
        if not authorization or not authorization.startswith("Bearer "):
            raise GatewayError("UNAUTHENTICATED")
        if not self.public_keys:
            raise GatewayError("SERVICE_UNAVAILABLE", reason="token key not configured")
        token = authorization[len("Bearer ") :].strip()
        claims = None
        for key in self.public_keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["EdDSA"],
                    audience=AUDIENCE,
                    issuer=ISSUER,
                    options={"require": ["exp", "sub", "iat"]},
                )
                break
            except jwt.ExpiredSignatureError:
                raise GatewayError("TOKEN_EXPIRED") from None
            except jwt.InvalidSignatureError:
                continue  # maybe signed with the other key of a rotation
            except jwt.PyJWTError:
                raise GatewayError("UNAUTHENTICATED") from None
        if claims is None:
            raise GatewayError("UNAUTHENTICATED")
        if claims.get("typ", "access") != "access":
            raise GatewayError("UNAUTHENTICATED")
        self.revoked.check(claims)
        return Principal(claims["sub"], claims.get("role", "citizen"), claims.get("office"), claims.get("pref"))

    def authorize(self, authorization, roles):
        """The caller, if their token is valid and (when ``roles`` is given) their role is one of them."""
        principal = self.verify(authorization)
        if roles and principal.role not in roles:
            raise GatewayError("FORBIDDEN")
        return principal
