"""The contract tier: the whole suite as processes (as the system tier starts it), held to its own OpenAPI
document by Schemathesis (docs/contracts.md, "The contract tier"). Only HTTP through the gateway; a token per
role, signed with the stack's development key as identity signs them (tests/system/tokens.py).

It runs in a pytest process of its own without antre_common's eventlet monkey-patching (``make test-contract``
passes ``-p no:antre_common``): Schemathesis runs as its own process (``st run``) and nothing here needs it."""

import pytest

from antre_dev.stack import Stack, StackConfig

from ..system.tokens import citizen, mint, staff

STAFF_OFFICE = "JKS"  # the office in the document's examples (gateway/openapi.py): staff tokens work there
TOKEN_TTL = 3600  # longer than any run


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with Stack(StackConfig.for_tests(tmp_path_factory.mktemp("stack"))) as running:
        yield running


@pytest.fixture(scope="session")
def role_tokens(stack):
    """An access token per role: a citizen, an officer and a supervisor of ``STAFF_OFFICE``, an admin."""
    claims = {
        "citizen": citizen(),
        "officer": staff("officer", STAFF_OFFICE),
        "supervisor": staff("supervisor", STAFF_OFFICE),
        "admin": staff("admin", None),
    }
    return {role: mint(stack, c, ttl=TOKEN_TTL) for role, c in claims.items()}


def pytest_terminal_summary(terminalreporter):
    from .test_openapi_contract import SUMMARY

    if SUMMARY:
        terminalreporter.write_line(
            f"contract: {SUMMARY['examples']} examples sent, {SUMMARY['server_errors']} answered 5xx "
            f"(reports and schemathesis.toml in {SUMMARY['reports']})"
        )
