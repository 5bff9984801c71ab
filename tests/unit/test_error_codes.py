"""Every code a service can raise has its row (status, both languages) in the gateway's one error table."""

import importlib

import pytest

from antre_common import errors as common_errors
from antre_common.errors import ServiceError
from gateway.errors import ERRORS

from .test_skeleton import SERVICES


def codes_of(module):
    return {
        cls.code
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, ServiceError) and cls is not ServiceError
    }


@pytest.mark.parametrize("service", SERVICES)
def test_every_code_of_the_service_has_a_row_in_the_gateway_table(service):
    codes = codes_of(importlib.import_module(f"{service}.exceptions"))
    if service == "identity":
        assert "LOGIN_LOCKED" in codes
    assert codes - set(ERRORS) == set()


def test_every_shared_code_has_a_row():
    assert codes_of(common_errors) - set(ERRORS) == set()
