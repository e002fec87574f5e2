"""Base models for wire shapes (camelCase on the wire, snake_case in Python) and the
wire form of dates."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

from kongflow.domain.json_values import jsonb_problem


class WireModel(BaseModel):
    """A protocol object: parsed by alias, dumped by alias, extra keys ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class StorableBody(WireModel):
    """A body whose every string and number PostgreSQL can store."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        problem = jsonb_problem(data)
        if problem is not None:
            raise ValueError(f"the body cannot be stored: {problem}")
        return data


def iso(moment: datetime | None) -> str | None:
    """A date as the wire carries it: ISO-8601 in UTC with milliseconds and a ``Z``."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
