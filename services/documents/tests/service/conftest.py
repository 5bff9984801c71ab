"""Documents against real RabbitMQ, PostgreSQL and S3 (SeaweedFS); scheduling is a small fake service in
the same vhost, answering the two RPCs of docs/contracts.md."""

import base64
import os
import uuid

import pytest
import requests
from minio import Minio
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from urllib3 import encode_multipart_formdata

from antre_common import reservation_code as reservation_code_format
from antre_common.envelope import make_envelope
from antre_common.errors import NotFound, ServiceError, parse_remote
from documents import exceptions as documents_exceptions
from documents import files
from documents.service import DocumentsService

SERVICES = {
    "paspor_baru": [
        {"type": "ktp", "name": "KTP", "required": True},
        {"type": "kk", "name": "Kartu Keluarga", "required": True},
        {"type": "foto", "name": "Pas foto", "required": False},
    ]
}
OWNER = {"user_id": "11111111-1111-4111-8111-111111111111", "role": "citizen", "office_code": None}
STAFF = {"user_id": "22222222-2222-4222-8222-222222222222", "role": "officer", "office_code": "JKT1"}


class FakeScheduling:
    """A test double of scheduling: bookings and services the test puts in its class dicts."""

    name = "scheduling"
    bookings = {}

    @rpc
    def get_booking(self, reservation_code):
        code = reservation_code_format.normalise(reservation_code)  # as scheduling reads codes
        if code not in self.bookings:
            raise NotFound("no such booking")
        return self.bookings[code]

    @rpc
    def get_service(self, code):
        if code not in SERVICES:
            raise NotFound("no such service")
        return {"code": code, "name": code, "duration_minutes": 20, "required_documents": SERVICES[code]}

    @rpc
    def ping(self):
        return {"service": "scheduling", "status": "up"}


def new_booking(office_code="JKT1", user_id=OWNER["user_id"], service_code="paspor_baru"):
    code = uuid.uuid4().hex[:7].upper() + "0"  # ends in a zero, which people read out as "O"
    return {
        "booking_id": str(uuid.uuid4()),
        "reservation_code": code,
        "user_id": user_id,
        "office_code": office_code,
        "service_code": service_code,
        "status": "confirmed",
        "date": "2026-12-01",
        "start": "2026-12-01T09:00:00+07:00",
        "end": "2026-12-01T09:20:00+07:00",
    }


@pytest.fixture
def config(service_config, s3_server, test_tokens):
    key = "t1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    return {
        **service_config,
        # One bucket for the session: SeaweedFS gives each bucket its own volumes and runs out after a few.
        # Object keys start with the booking id, so each test looks only under its own bookings.
        **s3_server.config("antre-documents-test"),
        **test_tokens.config,
        "DOCUMENTS_KEYS": key,
        "DOCUMENTS_MAX_BYTES": 1024 * 1024,
        "DOCUMENTS_RETENTION_DAYS": 30,
        "DOCUMENTS_RETENTION_SWEEP_SECONDS": 3600,
    }


@pytest.fixture
def scheduling(config, container_factory):
    FakeScheduling.bookings = {}
    container = container_factory(FakeScheduling, config)
    container.start()
    return FakeScheduling.bookings


@pytest.fixture
def documents(config, container_factory, scheduling):
    container = container_factory(DocumentsService, config)
    container.start()
    return container


@pytest.fixture
def minio(config):
    """A direct client of the test's store, to look at what documents really wrote."""
    client = Minio(config["S3_ENDPOINT"], access_key="antre", secret_key="antre-test", secure=False)  # noqa: S106
    if not client.bucket_exists(config["S3_BUCKET"]):
        client.make_bucket(config["S3_BUCKET"])
    return client


def raise_answer(response):
    """The document of a 200, or the documents error its body names (as the gateway reads the answer)."""
    if response.status_code == 200:
        return response.json()
    raise error_of(response)


def error_of(response):
    try:
        doc = parse_remote(response.text)
    except ValueError:
        doc = None
    if doc is None:
        return RuntimeError(f"{response.status_code}: {response.text}")
    error = next((c for c in ERROR_CLASSES if c.code == doc["code"]), ServiceError)
    return error(doc["message"], errors=doc.get("errors"), **(doc.get("params") or {}))


ERROR_CLASSES = [
    obj for obj in vars(documents_exceptions).values() if isinstance(obj, type) and issubclass(obj, ServiceError)
]


class Client:
    """Calls the documents container's entrypoints as the gateway would."""

    def __init__(self, container, config, tokens):
        self.container = container
        self.config = config
        self.tokens = tokens
        self.base_url = f"http://127.0.0.1:{config['WEB_SERVER_ADDRESS'].rsplit(':', 1)[1]}"

    def call(self, name, *args, as_=OWNER, caller="gateway", **kwargs):
        """The entrypoint, called with the context data the gateway sends: ``as_``'s signed access token
        (None: no token) and ``caller`` as the broker-proven calling service."""
        with entrypoint_hook(self.container, name, context_data=self.tokens.context(as_, caller)) as hook:
            return hook(*args, **kwargs)

    def grant(self, code, principal=OWNER):
        return self.call("upload_grant", code, as_=principal)

    def send(self, grant, body, headers=None, booking_id=None, **kwargs):
        """Posts a body to the internal upload endpoint with ``grant`` (the ``upload_grant`` answer)."""
        url = f"{self.base_url}/internal/v1/bookings/{booking_id or grant['booking_id']}/documents"
        headers = {"X-Upload-Grant": grant["grant"], **(headers or {})}
        return requests.post(url, data=body, headers=headers, timeout=60, **kwargs)

    def upload(self, code, doc_type, content, principal=OWNER, headers=None):
        """The two steps of an upload: the grant (RPC), then the multipart body streamed over HTTP."""
        grant = self.grant(code, principal)
        body, content_type = multipart(doc_type, content)
        return raise_answer(self.send(grant, body, {"Content-Type": content_type, **(headers or {})}))

    def content(self, document_id, principal=OWNER):
        """The two steps of a download: the grant (RPC), then the file from the internal endpoint."""
        grant = self.call("download_grant", document_id, as_=principal)
        served = self.fetch(document_id, grant["grant"])
        if served.status_code != 200:
            raise error_of(served)
        return served.content

    def fetch(self, document_id, grant):
        url = f"{self.base_url}/internal/v1/documents/{document_id}/content"
        return requests.get(url, headers={} if grant is None else {"X-Download-Grant": grant}, timeout=60)

    def checklist(self, code, principal=OWNER):
        return self.call("checklist", code, as_=principal)

    def event(self, event_type, data, handler, envelope=None):
        envelope = envelope or make_envelope(event_type, data)
        with entrypoint_waiter(self.container, handler):
            event_dispatcher(self.config)("scheduling", event_type, envelope)
        return envelope


def stored_form(content):
    """What documents stores and serves for an upload of ``content``: its sanitised form (files.py)."""
    return files.sanitise(content, files.Limits(max_decoded_bytes=2**26)).content


def multipart(doc_type, content, filename="scan.pdf"):
    """``(body, content type)`` of the upload form, as a browser would send it."""
    fields = {"doc_type": doc_type, "file": (filename, content, "application/octet-stream")}
    return encode_multipart_formdata(fields)


@pytest.fixture
def client(documents, config, test_tokens):
    return Client(documents, config, test_tokens)
