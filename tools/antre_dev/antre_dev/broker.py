"""A broker user per process for a development or test stack, made through RabbitMQ's management API.

Each process of the stack logs in as ``<prefix>.<process>`` with a fresh random password and the rights
``antre_common.broker.permissions`` gives it (its own queues, the exchanges it uses, topic permissions on
the RPC exchange), in the stack's vhost only. Users are broker-wide, so the prefix (the stack's vhost)
keeps concurrent stacks on one broker apart.
"""

import secrets
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from antre_common.broker import PROCESSES, permissions, user_name


class BrokerUsers:
    def __init__(self, rabbit_api, vhost, prefix):
        self.api = rabbit_api.rstrip("/")
        self.vhost = vhost
        self.prefix = prefix
        self.passwords = {}

    def _put(self, path, body):
        requests.put(f"{self.api}/{path}", json=body, timeout=10).raise_for_status()

    def create(self):
        vhost = quote(self.vhost, safe="")
        for process in PROCESSES:
            name = user_name(process, self.prefix)
            password = secrets.token_urlsafe(24)
            self._put(f"users/{quote(name, safe='')}", {"password": password, "tags": ""})
            rights = permissions(process)
            self._put(
                f"permissions/{vhost}/{quote(name, safe='')}", {k: rights[k] for k in ("configure", "write", "read")}
            )
            for topic in rights["topic"]:
                self._put(f"topic-permissions/{vhost}/{quote(name, safe='')}", topic)
            self.passwords[process] = password
        return self

    def delete(self):
        for process in list(self.passwords):
            requests.delete(f"{self.api}/users/{quote(user_name(process, self.prefix), safe='')}", timeout=10)
            self.passwords.pop(process)

    def login(self, process):
        return user_name(process, self.prefix)

    def amqp_uri(self, process, base_uri):
        """``base_uri`` (the stack's, with its vhost) with this process's login instead of its own."""
        parts = urlsplit(base_uri)
        host = parts.netloc.rsplit("@", 1)[-1]
        login = f"{quote(user_name(process, self.prefix), safe='')}:{quote(self.passwords[process], safe='')}"
        return urlunsplit(parts._replace(netloc=f"{login}@{host}"))
