"""What an endpoint answers to ``INDEX_ENDPOINT``: its jobs, sources and triggers.

The response is parsed in two steps: the envelope first, then each job on its own
(:func:`parse_job`), so one malformed job is reported with its reason while the
endpoint's other jobs still register.
"""

import re
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError, field_validator

from kongflow.domain.enums import IntegrationAuthSource
from kongflow.domain.event_filter import EventFilterError, validate_event_filter
from kongflow.domain.protocol.base import StorableBody, WireModel

JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$")
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 2_592_000  # 30 days, the SDK's own upper bound

JsonObject = dict[str, Any]


class EventExample(WireModel):
    id: str = Field(min_length=1)
    name: str
    icon: str | None = None
    payload: Any = None


class EventSpecification(WireModel):
    name: str | list[str]
    title: str | None = None
    source: str | None = None
    icon: str | None = None
    filter: JsonObject | None = None
    properties: list[JsonObject] | None = None
    schema_: Any = Field(default=None, alias="schema")
    examples: list[EventExample] = Field(default_factory=list)

    @property
    def first_name(self) -> str:
        return self.name if isinstance(self.name, str) else (self.name[0] if self.name else "")


def _checked_filter(value: JsonObject) -> JsonObject:
    try:
        validate_event_filter(value)
    except EventFilterError as exc:
        raise ValueError(f"invalid event filter at {exc.path}: {exc}") from exc
    return value


EventFilterJson = Annotated[JsonObject, AfterValidator(_checked_filter)]
"""An event filter (platform spec §4.6), refused with its path when malformed."""


class TriggerRule(WireModel):
    event: str | list[str]
    source: str = "trigger.dev"
    payload: EventFilterJson | None = None
    context: EventFilterJson | None = None

    @property
    def event_names(self) -> list[str]:
        return [self.event] if isinstance(self.event, str) else list(self.event)


class StaticTrigger(WireModel):
    type: Literal["static"]
    title: str | list[str] | None = None
    rule: TriggerRule
    properties: list[JsonObject] | None = None
    link: str | None = None
    help: JsonObject | None = None


class CronOptions(WireModel):
    cron: str

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a valid cron expression")
        return value


class IntervalOptions(WireModel):
    seconds: int = Field(ge=MIN_INTERVAL_SECONDS, le=MAX_INTERVAL_SECONDS)


class CronSchedule(WireModel):
    type: Literal["cron"]
    options: CronOptions
    account_id: str | None = None
    metadata: Any = None


class IntervalSchedule(WireModel):
    type: Literal["interval"]
    options: IntervalOptions
    account_id: str | None = None
    metadata: Any = None


ScheduleMetadata = Annotated[CronSchedule | IntervalSchedule, Field(discriminator="type")]


class CronRegistration(CronSchedule, StorableBody):
    id: str = Field(min_length=1, max_length=512)


class IntervalRegistration(IntervalSchedule, StorableBody):
    id: str = Field(min_length=1, max_length=512)


ScheduleRegistration = Annotated[
    CronRegistration | IntervalRegistration, Field(discriminator="type")
]
"""What ``dynamicSchedule.register(key, …)`` sends: a schedule and its key (``id``)."""


class ScheduledTrigger(WireModel):
    type: Literal["scheduled"]
    schedule: ScheduleMetadata


class DynamicTriggerRef(WireModel):
    type: Literal["dynamic"]
    id: str


class InvokeTrigger(WireModel):
    type: Literal["invoke"]


TriggerMetadata = Annotated[
    StaticTrigger | ScheduledTrigger | DynamicTriggerRef | InvokeTrigger,
    Field(discriminator="type"),
]


class IntegrationMetadata(WireModel):
    id: str
    name: str
    instructions: str | None = None


class IntegrationConfig(WireModel):
    id: str = Field(min_length=1)
    metadata: IntegrationMetadata
    auth_source: IntegrationAuthSource = IntegrationAuthSource.HOSTED


class ConcurrencyLimitGroupRef(WireModel):
    id: str = Field(min_length=1)
    limit: int = Field(ge=1)


class LegacyQueue(WireModel):
    name: str
    max_concurrent: int | None = Field(default=None, ge=1)


class JobMetadata(WireModel):
    id: str
    name: str
    version: str = Field(min_length=1, max_length=100)
    event: EventSpecification
    trigger: TriggerMetadata
    integrations: dict[str, IntegrationConfig] = Field(default_factory=dict)
    internal: bool = False
    enabled: bool = True
    start_position: Literal["initial", "latest"] = "latest"
    preprocess_runs: bool = False
    concurrency_limit: int | ConcurrencyLimitGroupRef | None = None
    queue: str | LegacyQueue | None = None

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not JOB_ID_PATTERN.match(value):
            raise ValueError(
                "a job id is 1-200 characters of letters, digits and . _ : @ + -, "
                "starting with a letter or digit"
            )
        return value

    @field_validator("version")
    @classmethod
    def _non_blank_version(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the version must not be blank")
        return value

    @field_validator("concurrency_limit")
    @classmethod
    def _positive_limit(
        cls, value: int | ConcurrencyLimitGroupRef | None
    ) -> int | ConcurrencyLimitGroupRef | None:
        if isinstance(value, int) and value < 1:
            raise ValueError("concurrencyLimit must be at least 1")
        return value


class JobRef(WireModel):
    id: str
    version: str


class DynamicTriggerMetadata(WireModel):
    id: str
    jobs: list[JobRef] = Field(default_factory=list)
    register_source_job: JobRef | None = None


class DynamicScheduleMetadata(WireModel):
    id: str
    jobs: list[JobRef] = Field(default_factory=list)


class SourceMetadataV2(WireModel):
    """An external source (integration-managed webhook) an endpoint declares."""

    version: Literal["2"]
    channel: Literal["HTTP", "SQS", "SMTP"] = "HTTP"
    key: str = Field(min_length=1)
    params: Any = None
    options: dict[str, list[str]] = Field(default_factory=dict)
    integration: IntegrationConfig
    register_source_job: JobRef | None = None


class SourceMetadataV1(WireModel):
    """The older source shape: a flat list of events instead of named options."""

    version: Literal["1"] = "1"
    channel: Literal["HTTP", "SQS", "SMTP"] = "HTTP"
    key: str = Field(min_length=1)
    params: Any = None
    events: list[str] = Field(default_factory=list)
    integration: IntegrationConfig
    register_source_job: JobRef | None = None


def parse_source(raw: object) -> SourceMetadataV1 | SourceMetadataV2:
    """Validate one ``sources[]`` entry (V2 when ``version`` is "2", V1 otherwise)."""
    if isinstance(raw, dict) and raw.get("version") == "2":
        return SourceMetadataV2.model_validate(raw)
    return SourceMetadataV1.model_validate(raw)


class IndexEndpointResponse(WireModel):
    """The envelope; ``jobs`` stay raw until :func:`parse_job` checks each one."""

    jobs: list[JsonObject]
    sources: list[JsonObject] = Field(default_factory=list)
    webhooks: list[JsonObject] = Field(default_factory=list)
    dynamic_triggers: list[DynamicTriggerMetadata] = Field(default_factory=list)
    dynamic_schedules: list[DynamicScheduleMetadata] = Field(default_factory=list)
    http_endpoints: list[JsonObject] = Field(default_factory=list)


class JobMetadataError(ValueError):
    """One job of an index is malformed; ``problems`` says where and why."""

    def __init__(self, job_id: str | None, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.job_id = job_id
        self.problems = problems


_JOB_ADAPTER = TypeAdapter(JobMetadata)


def describe_validation_error(error: ValidationError) -> list[str]:
    """Readable ``path: message`` lines for a pydantic error (no input echoed)."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{path}: {item['msg']}")
    return lines


def parse_job(raw: object) -> JobMetadata:
    """Validate one job of an index, raising :class:`JobMetadataError` with every problem."""
    try:
        return _JOB_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        job_id = raw.get("id") if isinstance(raw, dict) else None
        raise JobMetadataError(
            job_id if isinstance(job_id, str) else None, describe_validation_error(exc)
        ) from exc
