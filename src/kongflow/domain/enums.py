"""The closed value sets of the trigger.dev v2 data model.

Every status, kind and mode string that v2 stores in its database lives here, once.
The ORM (``kongflow.db.orm``) turns each class into a native PostgreSQL enum, and the
protocol models use the same classes to validate what the SDK sends and to render
what it receives, so a value can never be spelled one way in a table and another on
the wire.

Each member's name and value are the exact v2 string (``RunStatus.SUCCESS ==
"SUCCESS"``). Being ``StrEnum`` members, they compare equal to, serialise as, and
format like those plain strings. Two classes are renamed to match kongflow's table
names (``RunStatus`` was v2's ``JobRunStatus``, ``EnvironmentType`` its
``RuntimeEnvironmentType``); the values are unchanged. The legacy
``JobRunExecution*`` enums and the dashboard's ``AuthenticationMethod`` are left out:
kongflow has no table that uses them.
"""

from enum import StrEnum


class RunStatus(StrEnum):
    """Lifecycle state of a job run (v2 ``JobRunStatus``)."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    WAITING_ON_CONNECTIONS = "WAITING_ON_CONNECTIONS"
    PREPROCESSING = "PREPROCESSING"
    STARTED = "STARTED"
    EXECUTING = "EXECUTING"
    WAITING_TO_CONTINUE = "WAITING_TO_CONTINUE"
    WAITING_TO_EXECUTE = "WAITING_TO_EXECUTE"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    CANCELED = "CANCELED"
    UNRESOLVED_AUTH = "UNRESOLVED_AUTH"
    INVALID_PAYLOAD = "INVALID_PAYLOAD"


class TaskStatus(StrEnum):
    """State of one ``io.runTask`` step inside a run."""

    PENDING = "PENDING"
    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    ERRORED = "ERRORED"
    CANCELED = "CANCELED"


class TaskAttemptStatus(StrEnum):
    """State of a single try of a task."""

    PENDING = "PENDING"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    ERRORED = "ERRORED"


class TaskChildExecutionMode(StrEnum):
    """Whether a task's subtasks run one after another or side by side."""

    SEQUENTIAL = "SEQUENTIAL"
    PARALLEL = "PARALLEL"


class JobStartPosition(StrEnum):
    """Where a new job version starts reading events (only ``LATEST`` is written)."""

    INITIAL = "INITIAL"
    LATEST = "LATEST"


class JobVersionStatus(StrEnum):
    """Whether a job version may still be triggered."""

    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class RunSubscriptionRecipientMethod(StrEnum):
    """How a run-completion notification reaches its subscriber."""

    WEBHOOK = "WEBHOOK"
    ENDPOINT = "ENDPOINT"


class RunSubscriptionStatus(StrEnum):
    """Whether a run subscription still wants notifications."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class RunSubscriptionEvent(StrEnum):
    """The run outcome a subscription is notified about (v2 ``JobRunSubscriptionEvents``)."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class PayloadType(StrEnum):
    """Whether an event's payload is plain JSON or a captured HTTP request."""

    JSON = "JSON"
    REQUEST = "REQUEST"


class EnvironmentType(StrEnum):
    """Kind of runtime environment (v2 ``RuntimeEnvironmentType``)."""

    PRODUCTION = "PRODUCTION"
    STAGING = "STAGING"
    DEVELOPMENT = "DEVELOPMENT"
    PREVIEW = "PREVIEW"


class EndpointIndexSource(StrEnum):
    """What caused an endpoint to be indexed."""

    MANUAL = "MANUAL"
    API = "API"
    INTERNAL = "INTERNAL"
    HOOK = "HOOK"


class EndpointIndexStatus(StrEnum):
    """Progress of one endpoint indexing attempt."""

    PENDING = "PENDING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class DynamicTriggerType(StrEnum):
    """Whether a dynamic trigger registers event sources or schedules."""

    EVENT = "EVENT"
    SCHEDULE = "SCHEDULE"


class TriggerChannel(StrEnum):
    """Transport on which an external trigger source delivers."""

    HTTP = "HTTP"
    SQS = "SQS"
    SMTP = "SMTP"


class IntegrationAuthSource(StrEnum):
    """Who supplies an integration's credentials: kongflow, the job's code, or a resolver."""

    HOSTED = "HOSTED"
    LOCAL = "LOCAL"
    RESOLVER = "RESOLVER"


class IntegrationSetupStatus(StrEnum):
    """Whether an integration has everything it needs to connect."""

    MISSING_FIELDS = "MISSING_FIELDS"
    COMPLETE = "COMPLETE"


class ConnectionType(StrEnum):
    """Whether a credential belongs to the developer or to one of their end users."""

    EXTERNAL = "EXTERNAL"
    DEVELOPER = "DEVELOPER"


class SecretStoreProvider(StrEnum):
    """Backend that holds the value behind a secret reference."""

    DATABASE = "DATABASE"
    AWS_PARAM_STORE = "AWS_PARAM_STORE"


class OrgMemberRole(StrEnum):
    """A user's role within an organization."""

    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
