"""Base model for wire shapes (camelCase on the wire, snake_case in Python) and the
wire form of dates."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A protocol object: parsed by alias, dumped by alias, extra keys ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


def iso(moment: datetime | None) -> str | None:
    """A date as the wire carries it: ISO-8601 in UTC with milliseconds and a ``Z``."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
