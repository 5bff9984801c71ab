"""Access tokens, verified at the edge with identity's public key alone (no call to identity).

The verification itself is ``antre_common.auth`` (every service that authorises runs the same check on the
token the gateway forwards in the RPC context); here it becomes the edge's problem+json answers.
Config: ``JWT_PUBLIC_KEY`` (one or more PEM blocks) or ``JWT_PUBLIC_KEY_FILE``.
"""

from nameko.extensions import SharedExtension

from antre_common.auth import (
    AUDIENCE,
    ISSUER,
    STAFF_ROLES,
    Principal,
    TokenExpired,
    Unauthenticated,
    load_public_keys,
    verify_token,
)
from gateway.errors import GatewayError
from gateway.revocations import RevokedSessions

__all__ = ["AUDIENCE", "ISSUER", "STAFF_ROLES", "Principal", "TokenVerifier", "bearer_token"]


def bearer_token(authorization):
    if not authorization or not authorization.startswith("Bearer "):
        return None
    return authorization[len("Bearer ") :].strip()


class TokenVerifier(SharedExtension):
    revoked = RevokedSessions()  # staff sessions that ended: their tokens stop at once (gateway/revocations.py)

    def setup(self):
        self.public_keys = load_public_keys(self.container.config)

    def verify(self, authorization):
        token = bearer_token(authorization)
        if not token:
            raise GatewayError("UNAUTHENTICATED")
        if not self.public_keys:
            raise GatewayError("SERVICE_UNAVAILABLE", reason="token key not configured")
        try:
            principal = verify_token(token, self.public_keys)
        except TokenExpired:
            raise GatewayError("TOKEN_EXPIRED") from None
        except Unauthenticated:
            raise GatewayError("UNAUTHENTICATED") from None
        self.revoked.check({"sid": principal.session_id, "iat": principal.issued_at})
        return principal

    def authorize(self, authorization, roles):
        """The caller, if their token is valid and (when ``roles`` is given) their role is one of them."""
        principal = self.verify(authorization)
        if roles and principal.role not in roles:
            raise GatewayError("FORBIDDEN")
        return principal
