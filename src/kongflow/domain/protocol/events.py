"""What the SDK sends to ``POST /api/v1/events`` (and ``/events/bulk``), and to
``POST /api/v1/event-dispatchers/ephemeral`` (``io.waitForEvent``)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from kongflow.domain.protocol.base import StorableBody, WireModel
from kongflow.domain.protocol.index import EventFilterJson

MAX_EVENT_ID_LENGTH = 512


class RawEvent(WireModel):
    name: str = Field(min_length=1, max_length=512)
    payload: Any = None
    context: Any = None
    id: str | None = Field(default=None, min_length=1, max_length=MAX_EVENT_ID_LENGTH)
    timestamp: datetime | None = None
    source: str | None = Field(default=None, min_length=1, max_length=512)
    payload_type: Literal["JSON", "REQUEST"] | None = None


class SendEventOptions(WireModel):
    deliver_at: datetime | None = None
    deliver_after: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    account_id: str | None = Field(default=None, min_length=1, max_length=512)


class SendEventBody(WireModel):
    event: RawEvent
    options: SendEventOptions = Field(default_factory=SendEventOptions)


class SendEventsBody(WireModel):
    events: list[RawEvent] = Field(min_length=1, max_length=1000)
    options: SendEventOptions = Field(default_factory=SendEventOptions)


MIN_DISPATCHER_TIMEOUT_SECONDS = 10
MAX_DISPATCHER_TIMEOUT_SECONDS = 31_536_000  # a year, as v2


class EphemeralDispatcherBody(StorableBody):
    """Deliver the next matching event to ``url`` (a waiting task's callback URL)."""

    url: str = Field(min_length=1, max_length=2048)
    name: str | list[str]
    source: str = Field(default="trigger.dev", min_length=1, max_length=512)
    filter: EventFilterJson | None = None
    context_filter: EventFilterJson | None = None
    account_id: str | None = Field(default=None, min_length=1, max_length=512)
    timeout_in_seconds: int = Field(
        default=3600, ge=MIN_DISPATCHER_TIMEOUT_SECONDS, le=MAX_DISPATCHER_TIMEOUT_SECONDS
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("name")
    @classmethod
    def _some_name(cls, value: str | list[str]) -> str | list[str]:
        names = [value] if isinstance(value, str) else value
        if not names or not all(0 < len(name) <= 512 for name in names):
            raise ValueError("must be one or more event names of 1 to 512 characters")
        return value

    @property
    def event_names(self) -> list[str]:
        return [self.name] if isinstance(self.name, str) else list(self.name)
