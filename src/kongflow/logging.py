"""Log setup: one line per record, carrying the id of the HTTP request being served.

The request id lives in a context variable set by the API middleware, so every log
line written while handling a request (in routes, services or the database layer)
can be tied back to it without passing it around.
"""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("kongflow_request_id", default=None)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def configure_logging(level: str = "INFO") -> None:
    """Route all kongflow, uvicorn and procrastinate logs through one formatter."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "pgserver", "procrastinate.worker"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
