"""Structured logs: one JSON object a line, with the request id, trace id and span id of the worker that
wrote it (the trace ids also when tracing is off: antre_common.tracing).

Used from each service's config.yaml (LOGGING, which ``nameko run`` passes to ``logging.config.dictConfig``).
Personal data never goes into a log call; ``mask`` is for the rare line that must identify a value.
"""

import json
import logging
import time

from antre_common.context import current_request_id
from antre_common.tracing import log_fields

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        trace_id, span_id = log_fields()
        doc = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": current_request_id(),
            "trace_id": trace_id,
            "span_id": span_id,
        }
        # Fields passed with ``extra=`` become top-level keys.
        doc.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


def mask(value, keep=4):
    """``3171********0001``-style masking: the first and last ``keep`` characters survive."""
    if not value:
        return value
    value = str(value)
    if len(value) <= keep * 2:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def configure(level="INFO"):
    """For processes that are not started by ``nameko run`` (tools, benchmarks)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
