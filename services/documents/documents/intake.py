"""An upload as it arrives: the multipart body read in chunks, the file encrypted into a bounded spool.

Memory per upload is a few chunks plus the spool's in-memory part (``DOCUMENTS_SPOOL_MEMORY_BYTES``); past
that the spool is an unlinked temporary file. The spool holds the object exactly as it will be stored
(``crypto.frame``, nonce, AES-256-GCM ciphertext, tag), never the plaintext: the plaintext is read back
through ``PlainView`` (AES-CTR at the right counter, a window at a time) to be piped to the sandbox worker,
whose sanitised answer goes into a second spool, and the store is sent that spool itself, streamed.
"""

import hashlib
import os
import tempfile

from werkzeug.exceptions import ClientDisconnected
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from documents.exceptions import PayloadTooLarge, ValidationError

CHUNK = 64 * 1024
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the doc_type field around the file (as the gateway)
FIELD_BYTES = 1024  # doc_type is at most 64 characters
WINDOW = 64 * 1024  # PlainView decrypts in windows of this size


class SealedSpool:
    """The object being written: ``write`` plaintext pieces, then ``seal``; ``size`` and ``sha256`` are the
    plaintext's, ``length`` the object's. ``pread`` reads the object at an offset without a shared position,
    so the judge (in a thread) and the S3 PUT (in a green thread) read it at the same time."""

    def __init__(self, keyring, object_key, memory_bytes, spool_dir=None):
        self.keyring = keyring
        self.key_id, header, self.nonce, self._encryptor = keyring.sealer(object_key)
        self.memory_bytes, self.spool_dir = memory_bytes, spool_dir
        self._memory, self._file = bytearray(), None
        self.length = 0
        self._append(header + self.nonce)
        self.offset = self.length
        self.size = 0
        self._sha = hashlib.sha256()
        self.content_type = None  # set once judged

    def _append(self, data):
        if self._file is None and self.length + len(data) > self.memory_bytes:
            self._file = tempfile.TemporaryFile(dir=self.spool_dir)  # unlinked at once (O_TMPFILE)
            self._file.write(self._memory)
            self._memory = bytearray()
        if self._file is None:
            self._memory += data
        else:
            self._file.write(data)
        self.length += len(data)

    def write(self, data):
        self.size += len(data)
        self._sha.update(data)
        self._append(self._encryptor.update(data))

    def seal(self):
        self._append(self._encryptor.finalize() + self._encryptor.tag)
        if self._file is not None:
            self._file.flush()

    @property
    def sha256(self):
        return self._sha.hexdigest()

    def pread(self, offset, n):
        if self._file is None:
            return bytes(self._memory[offset : offset + n])
        return os.pread(self._file.fileno(), n, offset)

    def plaintext(self):
        return PlainView(self)

    def blocks(self, size=256 * 1024):
        """The sealed object, a block at a time (what the S3 PUT sends)."""
        for offset in range(0, self.length, size):
            yield self.pread(offset, size)

    def close(self):
        if self._file is not None:
            self._file.close()
        self._memory = bytearray()


class PlainView:
    """The spool's plaintext as a read-only, seekable file (what is piped to the sandbox worker)."""

    def __init__(self, spool):
        self.spool = spool
        self.pos = 0
        self._start, self._plain = None, b""

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=0):
        base = (0, self.pos, self.spool.size)[whence]
        self.pos = max(base + offset, 0)
        return self.pos

    def _window(self, start):
        if self._start != start:
            data = self.spool.pread(self.spool.offset + start, min(WINDOW, self.spool.size - start))
            self._plain = self.spool.keyring.keystream_at(self.spool.key_id, self.spool.nonce, start).update(data)
            self._start = start
        return self._plain

    def read(self, n=-1):
        end = self.spool.size if n is None or n < 0 else min(self.spool.size, self.pos + n)
        out = []
        while self.pos < end:
            start = self.pos - self.pos % WINDOW
            piece = self._window(start)[self.pos - start : end - start]
            out.append(piece)
            self.pos += len(piece)
        return b"".join(out)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        pass


def body_chunks(request, cap):
    """The request body in chunks, at most ``cap`` bytes (413 beyond, before reading when the length says
    so); a body that ends before its length or its last chunk is a ``ValidationError`` (cut short)."""
    if request.content_length is not None and request.content_length > cap:
        raise PayloadTooLarge("the upload is too large", max_bytes=cap - FORM_OVERHEAD)
    if request.content_length is None:
        # eventlet's input decodes a chunked body and ends at its last chunk; werkzeug reads it only if told.
        request.environ["wsgi.input_terminated"] = True
    stream, total = request.stream, 0
    while True:
        try:
            chunk = stream.read(CHUNK)
        except (ClientDisconnected, OSError, ValueError):
            raise ValidationError("invalid input", errors={"file": ["the upload was cut short"]}) from None
        if not chunk:
            return
        total += len(chunk)
        if total > cap:
            raise PayloadTooLarge("the upload is too large", max_bytes=cap - FORM_OVERHEAD)
        yield chunk


def drain(chunks):
    """Reads what is left of the body (bounded by its cap), so the sender gets the answer, not a reset."""
    try:
        for _ in chunks:
            pass
    except (PayloadTooLarge, ValidationError):
        pass


class Form:
    """The upload form as read from the stream: ``doc_type``, the spooled ``file`` (or None), field
    ``errors``, and whether the file went past ``max_bytes`` (its bytes beyond are not kept)."""

    def __init__(self):
        self.doc_type = None
        self.file = None
        self.errors = {}
        self.too_large = False


def read_form(chunks, boundary, max_bytes, new_spool):
    """Reads the multipart body from ``chunks``; the ``file`` part goes into ``new_spool()`` as it comes."""
    form = Form()
    decoder = MultipartDecoder(boundary.encode())
    target, field = None, bytearray()
    finished = False
    for chunk in _with_end(chunks):
        decoder.receive_data(chunk)
        while True:
            try:
                event = decoder.next_event()
            except ValueError:  # malformed, or it ended before its closing boundary
                why = "the upload was cut short" if decoder.complete else "not a valid multipart form"
                raise ValidationError("invalid input", errors={"file": [why]}) from None
            if isinstance(event, NeedData):
                break
            if isinstance(event, Epilogue):
                finished = True
                break
            if isinstance(event, File) and event.name == "file" and form.file is None:
                form.file = target = new_spool()
            elif isinstance(event, Field) and event.name == "doc_type" and form.doc_type is None:
                target, field = "doc_type", bytearray()
            elif isinstance(event, (Field, File)):
                form.errors[event.name] = ["unknown field"]
                target = None
            elif isinstance(event, Data):
                if target == "doc_type":
                    field += event.data
                    if len(field) > FIELD_BYTES:
                        raise ValidationError("invalid input", errors={"doc_type": ["too long"]})
                    if not event.more_data:
                        form.doc_type = field.decode("utf-8", "replace")
                elif target is not None and not form.too_large:
                    if target.size + len(event.data) > max_bytes:
                        form.too_large = True
                    else:
                        target.write(event.data)
    if not finished:
        raise ValidationError("invalid input", errors={"file": ["the upload was cut short"]})
    return form


def _with_end(chunks):
    yield from chunks
    yield None
