"""An event record as the SDK sees it (``ApiEventLog``)."""

from typing import Any

from kongflow.db.orm import EventRecord
from kongflow.domain.protocol.base import iso


def api_event_log(event: EventRecord) -> dict[str, Any]:
    """``{id, name, payload, context, timestamp, deliverAt, deliveredAt, cancelledAt}``
    with the caller-visible event id."""
    return {
        "id": event.event_id,
        "name": event.name,
        "payload": event.payload if event.payload is not None else {},
        "context": event.context,
        "timestamp": iso(event.timestamp),
        "deliverAt": iso(event.deliver_at),
        "deliveredAt": iso(event.delivered_at),
        "cancelledAt": iso(event.cancelled_at),
    }
