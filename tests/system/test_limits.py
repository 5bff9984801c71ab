"""Limits at the edge through a real gateway (issue 21): a client over its rate gets 429 with Retry-After at
once, and a forged X-Forwarded-For does not give it a new address when no proxy is trusted."""

from antre_common.testing import HttpClient

from .tokens import bearer, citizen


def test_a_client_over_its_rate_gets_429_and_a_forged_forwarded_address_does_not_help(stack):
    env = {"GATEWAY_RATE_AVAILABILITY": "3/60", "GATEWAY_RATE_BOOKING": "2/60", "GATEWAY_TRUSTED_PROXIES": ""}
    key = stack.start_service("gateway", replica="limits", env=env)
    try:
        gateway = HttpClient(f"http://127.0.0.1:{stack.ports[key]}")
        # A first RPC from a just-started gateway has been seen to time out (503) once under load: warm the
        # RPC path on a route without a rate before counting (README "Noticed": to find out why).
        assert gateway.get("/api/v1/status").status_code == 200
        path, params = "/api/v1/offices/AMQ/availability", {"service": "paspor_baru"}
        answers = [gateway.get(path, params=params, headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[-1].json()["code"] == "RATE_LIMITED" and 0 < int(answers[-1].headers["Retry-After"]) <= 60
        person = bearer(stack, citizen())
        body = {"slot_id": "00000000-0000-4000-8000-000000000000", "service_code": "paspor_baru"}
        codes = [gateway.post("/api/v1/bookings", json=body, headers=person).status_code for _ in range(3)]
        assert codes == [404, 404, 429]  # the limit is checked before any RPC
    finally:
        stack.stop_process(key)
