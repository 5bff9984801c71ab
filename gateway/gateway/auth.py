"""Access tokens, verified at the edge with identity's public key alone (no call to identity).

Tokens are EdDSA (Ed25519) JWTs: ``sub`` the user id, ``role``, ``office`` for staff, ``pref`` the person
reference for citizens, ``typ`` access, ``iss`` antre-identity, ``aud`` antre.
Config: ``JWT_PUBLIC_KEY`` (PEM) or ``JWT_PUBLIC_KEY_FILE``.
"""

from dataclasses import dataclass

import jwt
from nameko.extensions import SharedExtension

from gateway.errors import GatewayError

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
    def setup(self):
        config = self.container.config
        pem = config.get("JWT_PUBLIC_KEY") or ""
        path = config.get("JWT_PUBLIC_KEY_FILE")
        if not pem.strip() and path:
            with open(path) as f:
                pem = f.read()
        self.public_key = pem.strip() or None

    def verify(self, authorization):
        if not authorization or not authorization.startswith("Bearer "):
            raise GatewayError("UNAUTHENTICATED")
        if self.public_key is None:
            raise GatewayError("SERVICE_UNAVAILABLE", reason="token key not configured")
        token = authorization[len("Bearer ") :].strip()
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise GatewayError("TOKEN_EXPIRED") from None
        except jwt.PyJWTError:
            raise GatewayError("UNAUTHENTICATED") from None
        if claims.get("typ", "access") != "access":
            raise GatewayError("UNAUTHENTICATED")
        return Principal(claims["sub"], claims.get("role", "citizen"), claims.get("office"), claims.get("pref"))

    def authorize(self, authorization, roles):
        """The caller, if their token is valid and (when ``roles`` is given) their role is one of them."""
        principal = self.verify(authorization)
        if roles and principal.role not in roles:
            raise GatewayError("FORBIDDEN")
        return principal
