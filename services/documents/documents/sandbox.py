"""Files are judged and sanitised (files.py) in worker processes with a memory limit, never in the service.

A decoder bomb that gets past the header checks (a PNG whose pixels are within the bound but whose decoder
needs more, a PDF whose streams inflate to gigabytes) fails the worker's allocation (``RLIMIT_AS``): that
upload is refused with ``DOCUMENT_TOO_COMPLEX`` and the worker replaced; the service and the uploads beside
it carry on. A worker that runs past ``seconds`` is killed the same way. Workers are kept between uploads
(starting one costs ~0.3 s of CPU for its imports) and replaced after ``MAX_JOBS`` or any failure.

The worker's side and the pipe protocol: sandbox_worker.py.
"""

import json
import logging
import os
import sys

import eventlet
from eventlet.green import subprocess
from eventlet.semaphore import Semaphore

from documents.exceptions import DocumentTooComplex, DocumentUnreadable, ServiceError
from documents.sandbox_worker import CHUNK, LENGTH, WorkerFailed, read_exactly

log = logging.getLogger(__name__)
MAX_JOBS = 200  # a worker's heap is fresh again after this many files


class Worker:
    def __init__(self, memory_bytes, max_decoded_bytes):
        config = json.dumps({"memory_bytes": memory_bytes, "max_decoded_bytes": max_decoded_bytes})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "documents.sandbox_worker", config],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        self.jobs = 0

    @property
    def pid(self):
        return self.process.pid

    def run(self, pieces, size, sink):
        """Sends ``size`` bytes from ``pieces`` (an iterable of bytes), passes the sanitised file to
        ``sink`` a chunk at a time, and returns its content type; a refusal raises its ServiceError."""
        self.jobs += 1
        stdin, stdout = self.process.stdin, self.process.stdout
        try:
            stdin.write(LENGTH.pack(size))
            for piece in pieces:
                stdin.write(piece)
            stdin.flush()
            header = json.loads(read_exactly(stdout, LENGTH.unpack(read_exactly(stdout, LENGTH.size))[0]))
        except (OSError, ValueError) as exc:  # a broken pipe: it died while reading
            raise WorkerFailed(str(exc)) from None
        if "error" in header:
            raise _error(header["error"])
        left = header["length"]
        while left:
            piece = stdout.read(min(left, CHUNK))
            if not piece:
                raise WorkerFailed("the worker ended")
            sink(piece)
            left -= len(piece)
        return header["content_type"]

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _error(doc):
    classes = {c.code: c for c in _subclasses(ServiceError)}
    error = classes.get(doc.get("code"), DocumentUnreadable)
    return error(doc.get("message", ""), errors=doc.get("errors"), **(doc.get("params") or {}))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


class Sandbox:
    """At most ``size`` workers, each limited to ``memory_bytes`` of address space and ``seconds`` a file;
    an upload waits for a free worker."""

    def __init__(self, size, memory_bytes, seconds, max_decoded_bytes):
        self.size, self.memory_bytes, self.seconds = size, memory_bytes, seconds
        self.max_decoded_bytes = max_decoded_bytes
        self._slots = Semaphore(size)
        self._idle = []
        self.started = 0  # workers started so far (replacements included)

    def _worker(self):
        if self._idle:
            return self._idle.pop()
        self.started += 1
        return Worker(self.memory_bytes, self.max_decoded_bytes)

    def warm(self):
        """Starts the workers ahead of the first upload."""
        while len(self._idle) < self.size:
            self.started += 1
            self._idle.append(Worker(self.memory_bytes, self.max_decoded_bytes))

    def sanitise(self, pieces, size, sink):
        with self._slots:
            worker, keep = self._worker(), False
            try:
                with eventlet.Timeout(
                    self.seconds, DocumentTooComplex("the file took too long to read", reason="time")
                ):
                    content_type = worker.run(pieces, size, sink)
                keep = True
                return content_type
            except ServiceError as exc:
                keep = not isinstance(exc, DocumentTooComplex)  # a refusal by a live worker: it goes on
                raise
            except WorkerFailed:
                # Killed by the kernel or dead at start: if every upload lands here, the limit is too low.
                log.warning("sandbox worker failed", extra={"returncode": worker.process.poll()})
                raise DocumentTooComplex("the file needed more memory than allowed", reason="memory") from None
            finally:
                if keep and worker.jobs < MAX_JOBS:
                    self._idle.append(worker)
                else:
                    worker.kill()

    def stop(self):
        while self._idle:
            self._idle.pop().kill()
