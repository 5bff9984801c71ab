"""The web app's built files (``make web`` writes them to web/dist), held in memory with their gzip form.

Hashed assets are immutable and cached for a year; the HTML shells, the service worker and the web app
manifest are revalidated on every load (``no-cache`` with an ETag), so a release reaches every phone on its
next visit while the bundles it names come from the phone's cache.
"""

import gzip
import hashlib
import json
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".webmanifest")
TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript", ".svg": "image/svg+xml"}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Pages: script and style only from this origin, no inline code, never framed, no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    cache_control: str
    etag: str


def load_dist(root: Path):
    """``{url path: Asset}`` for every file the build wrote; shells under /_shell/<app>."""
    manifest = json.loads((root / "manifest.json").read_text())
    files = {}
    for url in manifest["files"]:
        files[url] = _asset(root / url.lstrip("/"), IMMUTABLE)
    for name in ("sw.js", "manifest.webmanifest"):
        files[f"/{name}"] = _asset(root / name, REVALIDATE)
    for shell in root.glob("*.html"):
        files[f"/_shell/{shell.stem}"] = _asset(shell, REVALIDATE)
    return files


def _asset(path: Path, cache_control):
    body = path.read_bytes()
    suffix = path.suffix
    content_type = TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or suffix in (".json", ".webmanifest", ".svg"):
        content_type += "; charset=utf-8"
    gzipped = gzip.compress(body, 9, mtime=0) if suffix in COMPRESSIBLE else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    return Asset(body, gzipped, content_type, cache_control, hashlib.sha256(body).hexdigest()[:20])


class WebAssets(DependencyProvider):
    """``self.web.get("/assets/citizen-AB12.js")`` → Asset or None; ``self.web.shell("citizen")``."""

    def setup(self):
        root = Path(self.container.config.get("WEB_DIST") or DEFAULT_DIST)
        try:
            self.files = load_dist(root)
        except FileNotFoundError:
            # The API still serves; the pages answer 503 until the web app is built (`make web`).
            log.error("web app not built", extra={"web_dist": str(root)})
            self.files = {}

    def get_dependency(self, worker_ctx):
        return self

    def get(self, path):
        return self.files.get(path)

    def shell(self, app):
        return self.files.get(f"/_shell/{app}")
