"""What an endpoint answers to EXECUTE_JOB: one of twelve outcomes, by ``status``.

Only the fields the run engine acts on are modelled; the SDK sends more and those
are ignored. Dates arrive as ISO strings.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from kongflow.domain.protocol.base import WireModel


class ErrorWithStack(WireModel):
    message: str
    name: str | None = None
    stack: str | None = None


class ResponseTask(WireModel):
    """The task an outcome refers to (a ServerTask as the SDK echoes it)."""

    id: str
    status: str | None = None
    noop: bool = False
    delay_until: datetime | None = None
    operation: str | None = None
    callback_url: str | None = None
    output_properties: list[dict[str, Any]] | None = None
    parent_id: str | None = None


class Success(WireModel):
    status: Literal["SUCCESS"]
    output: Any = None


class Error(WireModel):
    status: Literal["ERROR"]
    error: ErrorWithStack
    task: ResponseTask | None = None


class InvalidPayload(WireModel):
    status: Literal["INVALID_PAYLOAD"]
    errors: list[dict[str, Any]] = Field(default_factory=list)


class UnresolvedAuth(WireModel):
    status: Literal["UNRESOLVED_AUTH_ERROR"]
    issues: dict[str, Any] = Field(default_factory=dict)


class ResumeWithTask(WireModel):
    status: Literal["RESUME_WITH_TASK"]
    task: ResponseTask


class RetryWithTask(WireModel):
    status: Literal["RETRY_WITH_TASK"]
    task: ResponseTask
    error: ErrorWithStack
    retry_at: datetime


class Canceled(WireModel):
    status: Literal["CANCELED"]
    task: ResponseTask | None = None


class YieldExecution(WireModel):
    status: Literal["YIELD_EXECUTION"]
    key: str


class AutoYield(WireModel):
    status: Literal["AUTO_YIELD_EXECUTION"]
    location: str
    time_remaining: float
    time_elapsed: float
    limit: float | None = None


class AutoYieldData(WireModel):
    location: str
    time_remaining: float
    time_elapsed: float
    limit: float | None = None


class AutoYieldWithCompletedTask(WireModel):
    status: Literal["AUTO_YIELD_EXECUTION_WITH_COMPLETED_TASK"]
    id: str
    properties: list[dict[str, Any]] | None = None
    output: str | None = None  # the task's output, JSON-serialised by the SDK
    data: AutoYieldData


class AutoYieldRateLimit(WireModel):
    status: Literal["AUTO_YIELD_RATE_LIMIT"]
    reset: float  # epoch milliseconds


ChildOutcome = Annotated[
    Error
    | InvalidPayload
    | UnresolvedAuth
    | ResumeWithTask
    | RetryWithTask
    | Canceled
    | YieldExecution
    | AutoYield
    | AutoYieldWithCompletedTask
    | AutoYieldRateLimit,
    Field(discriminator="status"),
]


class ResumeWithParallelTask(WireModel):
    status: Literal["RESUME_WITH_PARALLEL_TASK"]
    task: ResponseTask
    child_errors: list[ChildOutcome] = Field(default_factory=list)


RunJobResponse = Annotated[
    Success
    | Error
    | InvalidPayload
    | UnresolvedAuth
    | ResumeWithTask
    | ResumeWithParallelTask
    | RetryWithTask
    | Canceled
    | YieldExecution
    | AutoYield
    | AutoYieldWithCompletedTask
    | AutoYieldRateLimit,
    Field(discriminator="status"),
]

RUN_JOB_RESPONSE: TypeAdapter[RunJobResponse] = TypeAdapter(RunJobResponse)
