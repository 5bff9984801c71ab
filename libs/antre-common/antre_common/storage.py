"""Object storage through the S3 API (MinIO in production, SeaweedFS in development) with the minio client.

Config: ``S3_ENDPOINT`` (host:port), ``S3_ACCESS_KEY``, ``S3_SECRET_KEY``, ``S3_BUCKET``, ``S3_SECURE``.
Timeouts are short and retries few, so a store that is down shows as a failed readiness check and a 503,
not as a hung worker.
"""

import urllib3
from minio import Minio
from nameko.extensions import DependencyProvider


def make_http(config):
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=2.0, read=float(config.get("S3_READ_TIMEOUT_SECONDS", 30))),
        retries=urllib3.Retry(total=1, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        maxsize=int(config.get("S3_POOL_SIZE", 20)),
    )


def make_client(config, http=None):
    http = http or make_http(config)
    return Minio(
        config["S3_ENDPOINT"],
        access_key=config["S3_ACCESS_KEY"],
        secret_key=config["S3_SECRET_KEY"],
        secure=str(config.get("S3_SECURE", "false")).lower() == "true",
        region=config.get("S3_REGION") or None,
        http_client=http,
    )


class Storage(DependencyProvider):
    """``self.storage.client`` is a minio client; ``self.storage.bucket`` the service's bucket; ``self.storage.http``
    the client's connection pool, for a request the client cannot stream (a presigned PUT of a file)."""

    readiness_name = "storage"

    def setup(self):
        self.http = make_http(self.container.config)
        self.client = make_client(self.container.config, self.http)
        self.bucket = self.container.config["S3_BUCKET"]
        self._bucket_checked = False

    def ensure_bucket(self):
        if not self._bucket_checked:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._bucket_checked = True

    def get_dependency(self, worker_ctx):
        return self

    def ready(self):
        if not self.client.bucket_exists(self.bucket):
            self._bucket_checked = False
            self.ensure_bucket()
