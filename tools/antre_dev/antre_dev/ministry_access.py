"""A ministry's own way in to antre.integration on a development or test broker (on Kubernetes the
messaging-topology operator does the same from deploy/k8s/components/ministries): its own RabbitMQ user, its
queues ``ministry.<name>.events`` (+ ``.dlx``/``.dead`` for what it cannot parse) bound to antre.integration,
and permissions that allow nothing else.

    python -m antre_dev.ministry_access onboard kemenkes            # prints the user and its password
    python -m antre_dev.ministry_access revoke kemenkes [--delete-queues]

The permissions (RabbitMQ's three regexes, plus a topic permission on antre.integration):
- configure ``^ministry\\.<name>\\..*``: it may (re)declare its own queues and dead-letter exchange only;
- write ``^ministry\\.<name>\\..*``: bind its own queues (a binding writes to the queue), publish nowhere
  else — in particular not to antre.integration or any of the suite's exchanges;
- read ``^(ministry\\.<name>\\..*|antre\\.integration)$``: consume its own queues, bind from antre.integration;
  reading from (binding to) ``scheduling.events``, ``nameko-rpc`` or another ministry's queue is refused;
- topic permission on antre.integration: write ``^$``, read ``^id\\.go\\.imigrasi\\.antre\\.``: its bindings
  name Antre's event types only.
"""

import argparse
import json
import re
import secrets
from urllib.parse import quote

import requests

from antre_common.outbox import INTEGRATION_EXCHANGE

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
ALL_EVENTS = "id.go.imigrasi.antre.#"


def user_of(name):
    return f"ministry-{name}"


def permissions(name):
    own = rf"^ministry\.{re.escape(name)}\..*"
    return {"configure": own, "write": own, "read": rf"^(ministry\.{re.escape(name)}\..*|antre\.integration)$"}


def topic_permissions():
    return {"exchange": INTEGRATION_EXCHANGE, "write": "^$", "read": r"^id\.go\.imigrasi\.antre\."}


def queues(name):
    return {"events": f"ministry.{name}.events", "dlx": f"ministry.{name}.dlx", "dead": f"ministry.{name}.dead"}


class RabbitAdmin:
    """The management HTTP API as an administrator (``http://guest:guest@127.0.0.1:15672/api`` in development)."""

    def __init__(self, api="http://guest:guest@127.0.0.1:15672/api"):
        self.api = api.rstrip("/")

    def _call(self, method, path, body=None, ok=(200, 201, 204)):
        response = requests.request(method, self.api + path, json=body, timeout=10)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def onboard(self, name, vhost="/", password=None, bindings=(ALL_EVENTS,), quorum=True):
        """Create (or update) the ministry's user, permissions and queues; returns what to hand over."""
        if not NAME.match(name):
            raise ValueError("name: lowercase letters, digits and -, 2-40 characters")
        v, user, q = quote(vhost, safe=""), user_of(name), queues(name)
        password = password or secrets.token_urlsafe(24)
        self._call("PUT", f"/users/{quote(user)}", {"password": password, "tags": ""})
        self._call("PUT", f"/permissions/{v}/{quote(user)}", permissions(name))
        self._call("PUT", f"/topic-permissions/{v}/{quote(user)}", topic_permissions())
        self._call("PUT", f"/exchanges/{v}/{INTEGRATION_EXCHANGE}", {"type": "topic", "durable": True})
        quorum_args = {"x-queue-type": "quorum"} if quorum else {}
        self._call("PUT", f"/exchanges/{v}/{q['dlx']}", {"type": "fanout", "durable": True})
        self._call("PUT", f"/queues/{v}/{q['dead']}", {"durable": True, "arguments": quorum_args})
        self._call("POST", f"/bindings/{v}/e/{q['dlx']}/q/{q['dead']}", {"routing_key": ""})
        args = {"x-dead-letter-exchange": q["dlx"], **quorum_args}
        self._call("PUT", f"/queues/{v}/{q['events']}", {"durable": True, "arguments": args})
        for key in bindings:
            self._call("POST", f"/bindings/{v}/e/{INTEGRATION_EXCHANGE}/q/{q['events']}", {"routing_key": key})
        return {"user": user, "password": password, "vhost": vhost, "queue": q["events"], "dead_letters": q["dead"]}

    def revoke(self, name, vhost="/", delete_queues=False):
        """The user goes (its open connections are closed); the queues stay unless asked (they may hold
        events the ministry will still fetch after a new onboarding)."""
        user = user_of(name)
        for conn in self._call("GET", "/connections").json():
            if conn.get("user") == user:
                self._call("DELETE", f"/connections/{quote(conn['name'], safe='')}", ok=(204, 404))
        self._call("DELETE", f"/users/{quote(user)}", ok=(204, 404))
        if delete_queues:
            v, q = quote(vhost, safe=""), queues(name)
            for queue in (q["events"], q["dead"]):
                self._call("DELETE", f"/queues/{v}/{queue}", ok=(204, 404))
            self._call("DELETE", f"/exchanges/{v}/{q['dlx']}", ok=(204, 404))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m antre_dev.ministry_access", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("onboard", "revoke"))
    parser.add_argument("name", help="the ministry, e.g. kemenkes")
    parser.add_argument("--vhost", default="/")
    parser.add_argument("--api", default="http://guest:guest@127.0.0.1:15672/api")
    parser.add_argument("--bind", action="append", help="routing key (repeatable); default: every Antre event")
    parser.add_argument("--delete-queues", action="store_true")
    args = parser.parse_args(argv)
    admin = RabbitAdmin(args.api)
    if args.action == "onboard":
        print(json.dumps(admin.onboard(args.name, args.vhost, bindings=tuple(args.bind or (ALL_EVENTS,))), indent=2))
    else:
        admin.revoke(args.name, args.vhost, delete_queues=args.delete_queues)
        print(f"{user_of(args.name)} revoked")


if __name__ == "__main__":
    main()
