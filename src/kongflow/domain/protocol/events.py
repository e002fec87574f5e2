"""What the SDK sends to ``POST /api/v1/events`` (and ``/events/bulk``)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from kongflow.domain.protocol.base import WireModel

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
