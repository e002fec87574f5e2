"""Request bodies of the task API the SDK calls inside a run (wire protocol §3.3).

* :class:`RunTaskBody` — ``POST /api/v1/runs/{runId}/tasks`` (create-or-get).
* :class:`CompleteTaskBody` — ``POST …/tasks/{id}/complete``.
* :class:`FailTaskBody` — ``POST …/tasks/{id}/fail``.

Every body is checked for values PostgreSQL cannot store (``NaN``, ``\\u0000``, lone
surrogates) before it is parsed, so such a body is a 422 and never a failed insert.
The answer, a ServerTask, is rendered by ``services/tasks/server_task.py``.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from kongflow.domain.protocol.base import StorableBody, WireModel

# Part of a unique index (btree entries are limited); the SDK sends 64 hex characters.
MAX_IDEMPOTENCY_KEY_LENGTH = 512
DEFAULT_CALLBACK_TIMEOUT_SECONDS = 3600.0
MAX_CALLBACK_TIMEOUT_SECONDS = 10 * 365 * 24 * 3600.0  # ten years: longer is a mistake

TaskOperation = Literal["fetch", "fetch-response", "fetch-poll"]


class TaskStyle(WireModel):
    style: Literal["normal", "minimal"]
    variant: str | None = None


class RetryOptions(WireModel):
    """The task's retry policy: the SDK computes ``retryAt`` itself, so the server only
    validates it."""

    limit: int | None = None
    factor: float | None = None
    min_timeout_in_ms: float | None = None
    max_timeout_in_ms: float | None = None
    randomize: bool | None = None


class CallbackOptions(WireModel):
    enabled: bool
    timeout_in_seconds: float = Field(
        default=DEFAULT_CALLBACK_TIMEOUT_SECONDS, le=MAX_CALLBACK_TIMEOUT_SECONDS
    )


class RedactOptions(WireModel):
    paths: list[str]


class RunTaskBody(StorableBody):
    """RunTaskBody: what ``io.runTask`` (and every ``io.*`` helper) sends.

    ``properties`` items are kept loose here (v2 allowed partial ones) and filtered
    when the task is stored. ``delayUntil`` without a time zone is read as UTC.
    """

    idempotency_key: str = Field(min_length=1, max_length=MAX_IDEMPOTENCY_KEY_LENGTH)
    display_key: str | None = None
    noop: bool = False
    name: str | None = None
    icon: str | None = None
    description: str | None = None
    params: Any = None
    properties: list[Any] | None = None
    output_properties: list[Any] | None = None
    style: TaskStyle | None = None
    delay_until: datetime | None = None
    retry: RetryOptions | None = None
    callback: CallbackOptions | None = None
    operation: TaskOperation | None = None
    connection_key: str | None = None
    redact: RedactOptions | None = None
    parallel: bool | None = None
    parent_id: str | None = None

    @field_validator("delay_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @property
    def callback_enabled(self) -> bool:
        return self.callback is not None and self.callback.enabled


class CompleteTaskBody(StorableBody):
    """``{output?, properties?}``. With ``Trigger-Version: 2023-11-01`` (and later)
    ``output`` is the JSON *text* of the task's result; older SDKs send the value
    itself. Whether ``output`` was sent at all is ``"output" in model_fields_set``."""

    output: Any = None
    properties: list[Any] | None = None


class ErrorWithStack(WireModel):
    message: str
    name: str | None = None
    stack: str | None = None


class FailTaskBody(StorableBody):
    """``{error: {message, name?, stack?}}``."""

    error: ErrorWithStack


def display_properties(items: list[Any] | None) -> list[dict[str, Any]] | None:
    """The DisplayProperty items of ``items`` that the SDK's schema accepts back.

    v2 kept the items with a string ``label`` and ``text``; beyond that, ``url`` and
    ``imageUrl`` are kept only when well-typed (the SDK rejects a whole ServerTask over
    one bad optional key) and other keys are dropped.
    """
    if items is None:
        return None
    kept: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        label, text = item.get("label"), item.get("text")
        if not isinstance(label, str) or not isinstance(text, str):
            continue
        entry: dict[str, Any] = {"label": label, "text": text}
        url, image_url = item.get("url"), item.get("imageUrl")
        if isinstance(url, str):
            entry["url"] = url
        if isinstance(image_url, list) and all(isinstance(each, str) for each in image_url):
            entry["imageUrl"] = image_url
        kept.append(entry)
    return kept
