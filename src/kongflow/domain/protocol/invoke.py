"""What the SDK sends to ``POST /api/v1/jobs/{jobSlug}/invoke`` (``invokeJob``,
``job.invoke``): ``{payload?, context?, options?: {accountId?, callbackUrl?}}``.

The callback URL is where the run's outcome is posted later, so it must be an
absolute ``http``/``https`` URL; anything else is refused now rather than failing
silently when the run ends.
"""

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from kongflow.domain.protocol.base import StorableBody, WireModel

MAX_ACCOUNT_ID_LENGTH = 512
MAX_CALLBACK_URL_LENGTH = 2048


class InvokeOptions(WireModel):
    account_id: str | None = Field(default=None, min_length=1, max_length=MAX_ACCOUNT_ID_LENGTH)
    callback_url: str | None = Field(default=None, max_length=MAX_CALLBACK_URL_LENGTH)

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 — raises on a malformed port
        except ValueError as exc:
            raise ValueError("callbackUrl is not a valid URL") from exc
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError("callbackUrl must be an absolute http or https URL")
        if any(char.isspace() for char in value):
            raise ValueError("callbackUrl must not contain whitespace")
        return value


class InvokeJobBody(StorableBody):
    """The invoke body; a missing ``payload`` or ``context`` is stored as ``{}``, and
    missing ``options`` mean none."""

    payload: Any = None
    context: Any = None
    options: InvokeOptions | None = None
