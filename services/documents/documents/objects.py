"""The object store as documents uses it: opaque encrypted blobs under keys the service makes.

Every failure to reach the store becomes ServiceUnavailable (503 at the gateway), so an outage is an answer
the citizen can retry, never a half-done upload.
"""

import io
import logging

import urllib3
from minio.error import MinioException, S3Error

from documents.exceptions import NotFound, ServiceUnavailable

log = logging.getLogger(__name__)
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
