"""What the key-value store accepts: the limits on keys and values, checked in one place.

Keys arrive URL-decoded. PostgreSQL cannot hold a NUL in text, and a key longer than
a btree entry allows would fail the unique index, so both are refused up front.
Values are JSON text (the SDK sends ``JSON.stringify(value)`` and answers with
``JSON.parse(value)``), at most 256 KiB like the SDK's own client-side check.
"""

import json

from kongflow.errors import InvalidRequest, KongflowError

MAX_KEY_BYTES = 1024
MAX_VALUE_BYTES = 256 * 1024


class ValueTooLarge(KongflowError):
    """A store value over :data:`MAX_VALUE_BYTES`."""

    code = "value_too_large"
    status_code = 413


def _refuse_constant(name: str) -> None:
    # Python's json accepts NaN and Infinity; JSON.parse in the SDK does not.
    raise ValueError(f"{name} is not JSON")


def check_key(key: str) -> None:
    """Raise InvalidRequest (``invalid_key``) unless ``key`` can be stored."""
    if not key:
        raise InvalidRequest("The store key is empty.", code="invalid_key")
    if "\x00" in key:
        raise InvalidRequest("The store key contains a NUL character.", code="invalid_key")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidRequest(
            f"The store key is longer than {MAX_KEY_BYTES} bytes.", code="invalid_key"
        )


def check_value(value: bytes) -> str:
    """Return ``value`` as text, or raise: ValueTooLarge over 256 KiB, InvalidRequest
    (``invalid_json``) when it is not UTF-8 JSON text."""
    if len(value) > MAX_VALUE_BYTES:
        raise ValueTooLarge(
            f"The value is {len(value)} bytes; the store takes at most {MAX_VALUE_BYTES}.",
            details={"size": len(value), "limit": MAX_VALUE_BYTES},
        )
    try:
        text = value.decode("utf-8")
        json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidRequest(
            "The value must be JSON text (the request body, sent as text/plain).",
            code="invalid_json",
            details={"reason": str(error)[:200]},
        ) from error
    return text
