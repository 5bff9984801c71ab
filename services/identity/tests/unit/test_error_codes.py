"""Every code identity raises has its row (status, both languages) in the gateway's one error table."""

from antre_common.errors import ServiceError
from gateway.errors import ERRORS
from identity import exceptions


def test_every_identity_code_has_a_row_in_the_gateway_table():
    codes = {
        cls.code
        for cls in vars(exceptions).values()
        if isinstance(cls, type) and issubclass(cls, ServiceError) and cls is not ServiceError
    }
    assert "LOGIN_LOCKED" in codes
    assert codes - set(ERRORS) == set()
