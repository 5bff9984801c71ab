from nameko.exceptions import RemoteError

from antre_common.errors import NotFound, ServiceUnavailable
from gateway.errors import ERRORS, GatewayError, describe, problem


def test_every_code_has_a_status_and_both_languages():
    for code, (status, detail_id, detail_en) in ERRORS.items():
        assert code == code.upper() and " " not in code
        assert 400 <= status < 600
        assert detail_id and detail_en and detail_id != detail_en, code


def test_a_remote_service_error_maps_to_its_row():
    remote = RemoteError("NotFound", str(NotFound("no booking", reservation_code="X")))
    code, errors, params, _ = describe(remote)
    status, body = problem(code, "en", errors, params)
    assert (status, body["code"], body["detail"]) == (404, "NOT_FOUND", "Not found.")


def test_unknown_errors_are_internal_and_do_not_leak():
    code, *_ = describe(RemoteError("KeyError", "'secret'"))
    status, body = problem(code, "id")
    assert status == 500 and "secret" not in str(body)
    assert problem("NO_SUCH_CODE", "id")[0] == 500


def test_local_errors_keep_their_code_and_language():
    assert describe(ServiceUnavailable("down"))[0] == "SERVICE_UNAVAILABLE"
    status, body = problem(*describe(GatewayError("RATE_LIMITED"))[:1], "id")
    assert status == 429 and body["detail"] == ERRORS["RATE_LIMITED"][1]
