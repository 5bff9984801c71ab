"""A sandbox worker process (sandbox.py starts them): sets its memory limit, then judges and sanitises one
file at a time (files.py). It imports no eventlet and nothing of the service beyond files.py.

Pipe protocol: the service sends an 8-byte big-endian length and the file; the worker answers an 8-byte
length and a JSON header (``{"content_type", "length"}`` or ``{"error": <ServiceError document>}``), then
``length`` bytes of the sanitised file.
"""

import json
import resource
import struct
import sys

from documents.exceptions import DocumentTooComplex, ServiceError

CHUNK = 64 * 1024
LENGTH = struct.Struct(">Q")


class WorkerFailed(Exception):
    """The worker died or stopped answering; the pool replaces it."""


def read_exactly(stream, n):
    parts, left = [], n
    while left:
        piece = stream.read(min(left, CHUNK))
        if not piece:
            raise WorkerFailed("the worker ended")
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)


def main(config):
    limit = config["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    from documents import files  # after the limit: its libraries' allocations count too

    limits = files.Limits(max_decoded_bytes=config["max_decoded_bytes"])
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = stdin.read(LENGTH.size)
        if len(head) < LENGTH.size:
            return  # the service closed the pipe
        content = read_exactly(stdin, LENGTH.unpack(head)[0])
        try:
            clean = files.sanitise(content, limits)
            del content
            header = {"content_type": clean.content_type, "length": len(clean.content)}
            body = clean.content
        except MemoryError:
            return _answer(stdout, {"error": json.loads(str(_too_much()))}, b"", end=True)
        except ServiceError as exc:
            header, body = {"error": json.loads(str(exc))}, b""
        _answer(stdout, header, body)


def _too_much():
    return DocumentTooComplex("the file needed more memory than allowed", reason="memory")


def _answer(stdout, header, body, end=False):
    data = json.dumps(header).encode()
    stdout.write(LENGTH.pack(len(data)) + data)
    stdout.write(body)
    stdout.flush()
    if end:
        sys.exit(3)  # after a MemoryError nothing in this process is to be trusted: the pool starts another


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
