"""The object store as documents uses it: opaque encrypted blobs under keys the service makes.

Every failure to reach the store becomes ServiceUnavailable (503 at the gateway), so an outage is an answer
the citizen can retry, never a half-done upload.
"""

import io
import logging
import re
from datetime import timedelta

import urllib3
from minio.error import MinioException, S3Error

from documents.exceptions import NotFound, ServiceUnavailable

log = logging.getLogger(__name__)
PRESIGN_TTL = timedelta(minutes=5)


def _s3_code(body):
    match = re.search(rb"<Code>([^<]{1,64})</Code>", body or b"")
    return match.group(1).decode() if match else "unknown"


UNREACHABLE = (MinioException, urllib3.exceptions.HTTPError, OSError)


class ObjectStore:
    def __init__(self, storage):
        self.storage = storage  # antre_common.storage.Storage: .client (minio) and .bucket

    def _call(self, what, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise NotFound("the file is no longer stored") from None
            log.warning("object store refused %s: %s", what, exc.code, extra={"op": what, "s3_code": exc.code})
            raise ServiceUnavailable("object store error", service="storage") from None
        except UNREACHABLE as exc:
            log.warning("object store unreachable", extra={"op": what, "error": type(exc).__name__})
            raise ServiceUnavailable("object store unreachable", service="storage") from None

    def put(self, key, blob):
        def put():
            self.storage.ensure_bucket()
            self.storage.client.put_object(
                self.storage.bucket, key, io.BytesIO(blob), len(blob), content_type="application/octet-stream"
            )

        self._call("put", put)

    def put_stream(self, key, blocks, length):
        """Writes ``length`` bytes, given as an iterable of ``blocks``, in one PUT as they come: the minio
        client reads a whole part (5 MiB or the object) into memory and hashes it to sign it, so the object
        goes through a presigned URL made locally (query-string SigV4, payload unsigned) on the same pool."""

        def put():
            self.storage.ensure_bucket()
            url = self.storage.client.presigned_put_object(self.storage.bucket, key, expires=PRESIGN_TTL)
            response = self.storage.http.urlopen(
                "PUT",
                url,
                body=blocks,
                headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"},
                retries=False,  # a streamed body is not sent twice; the caller's retry is the upload again
                preload_content=True,
            )
            if response.status != 200:
                code = _s3_code(response.data)
                log.warning("object store refused put: %s", code, extra={"op": "put", "s3_code": code})
                raise ServiceUnavailable("object store error", service="storage")

        self._call("put", put)

    def get(self, key):
        def get():
            response = self.storage.client.get_object(self.storage.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return self._call("get", get)

    def remove(self, key):
        """Idempotent: S3 answers success for a key that is already gone."""
        self._call("remove", self.storage.client.remove_object, self.storage.bucket, key)

    def remove_quietly(self, key):
        """For clean-up after a failure: the first error is the one to report, not this one."""
        try:
            self.remove(key)
            return True
        except Exception:  # noqa: BLE001
            log.error("object left behind", extra={"object_key": key})
            return False

    def keys(self, prefix):
        def listing():
            return [o.object_name for o in self.storage.client.list_objects(self.storage.bucket, prefix, True)]

        return self._call("list", listing)
