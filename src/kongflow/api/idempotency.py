"""The ``Idempotency-Key`` header the SDK sends on task creation and invocations."""

from kongflow.domain.json_values import text_problem
from kongflow.domain.protocol.tasks import MAX_IDEMPOTENCY_KEY_LENGTH as MAX_KEY_LENGTH
from kongflow.errors import InvalidRequest


def idempotency_key(header: str | None, *, required: bool) -> str | None:
    """The header's key (blank counts as absent), or a 400 naming what is wrong."""
    key = (header or "").strip()
    if not key:
        if required:
            raise InvalidRequest(
                "The Idempotency-Key header is required.", code="missing_idempotency_key"
            )
        return None
    if len(key) > MAX_KEY_LENGTH or text_problem(key) is not None:
        raise InvalidRequest(
            f"The Idempotency-Key header must be at most {MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
        )
    return key
