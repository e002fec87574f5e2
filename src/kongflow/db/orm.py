"""kongflow's whole relational schema, as SQLAlchemy declarative classes.

The tables follow the trigger.dev v2 data model, so the server can behave exactly as
the v2 SDK expects. They are kept in one module on purpose: whoever changes a table
can see every table that points at it, the Alembic migrations are generated from
this one ``Base.metadata``, and there is no import order between model modules to
get wrong.

Conventions used throughout:

* Tables are plural snake_case; columns are the snake_case of the v2 camelCase names.
  Where v2 used ``metadata`` the Python attribute is ``metadata_`` (declarative
  classes reserve ``metadata``) but the column is still called ``metadata``.
* Every row has a string ``id`` of the form ``<prefix>_<ulid>`` (see
  ``kongflow.ids``), filled in at flush time, plus ``created_at``/``updated_at``
  kept by the database. Pass ``id=`` explicitly when you need it before a flush.
* Foreign keys cascade on delete unless a comment says otherwise, and every foreign
  key column is indexed, either on its own or as the first column of a unique
  constraint or composite index.
* Defaults exist both in Python and on the server, so raw SQL inserts behave like
  ORM ones. Server-generated values are fetched back with ``RETURNING``
  (``eager_defaults``), so reading them after a flush never needs a lazy load,
  which would fail under asyncio.
* Relationships are few and use the default lazy loading; async code must load them
  explicitly (``selectinload``) before touching them.
* JSON columns are ``JSONB``. Object-shaped ones are typed ``dict[str, Any]``; the
  ones that hold any JSON value (payloads, outputs, user metadata) are typed ``Any``.
  Python ``None`` is stored as SQL NULL (``none_as_null``), so "no filter" and "no
  output" are ``IS NULL``; write ``sqlalchemy.JSON.NULL`` for a JSON ``null``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedColumn,
    declared_attr,
    mapped_column,
    relationship,
)

from kongflow.domain.enums import (
    ConnectionType,
    DynamicTriggerType,
    EndpointIndexSource,
    EndpointIndexStatus,
    EnvironmentType,
    IntegrationAuthSource,
    IntegrationSetupStatus,
    JobStartPosition,
    JobVersionStatus,
    OrgMemberRole,
    PayloadType,
    RunStatus,
    RunSubscriptionEvent,
    RunSubscriptionRecipientMethod,
    RunSubscriptionStatus,
    SecretStoreProvider,
    TaskAttemptStatus,
    TaskChildExecutionMode,
    TaskStatus,
    TriggerChannel,
)
from kongflow.ids import new_id

_JSON = JSONB(none_as_null=True)

_E = TypeVar("_E", bound=enum.StrEnum)


def _enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """Store an enum by its value (identical to its name for every kongflow enum)."""
    return [str(member.value) for member in enum_class]


def _pg_enum(enum_class: type[enum.StrEnum], name: str) -> SAEnum:
    """A native PostgreSQL enum type named ``name`` holding ``enum_class``'s values."""
    return SAEnum(enum_class, name=name, values_callable=_enum_values)


# PostgreSQL type name of each enum; annotating a column ``Mapped[RunStatus]`` is
# enough to get the native type.
_ENUM_TYPES: dict[type[enum.StrEnum], str] = {
    RunStatus: "run_status",
    TaskStatus: "task_status",
    TaskAttemptStatus: "task_attempt_status",
    TaskChildExecutionMode: "task_child_execution_mode",
    JobStartPosition: "job_start_position",
    JobVersionStatus: "job_version_status",
    RunSubscriptionRecipientMethod: "run_subscription_recipient_method",
    RunSubscriptionStatus: "run_subscription_status",
    RunSubscriptionEvent: "run_subscription_event",
    PayloadType: "payload_type",
    EnvironmentType: "environment_type",
    EndpointIndexSource: "endpoint_index_source",
    EndpointIndexStatus: "endpoint_index_status",
    DynamicTriggerType: "dynamic_trigger_type",
    TriggerChannel: "trigger_channel",
    IntegrationAuthSource: "integration_auth_source",
    IntegrationSetupStatus: "integration_setup_status",
    ConnectionType: "connection_type",
    SecretStoreProvider: "secret_store_provider",
    OrgMemberRole: "org_member_role",
}


class Base(DeclarativeBase):
    """Root of every kongflow table; owns the metadata Alembic migrates."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: _JSON,
        list[Any]: _JSON,
        datetime: DateTime(timezone=True),
        bytes: LargeBinary,
        **{cls: _pg_enum(cls, name) for cls, name in _ENUM_TYPES.items()},
    }


# --------------------------------------------------------------------------- helpers


def _fk(table: str, *, ondelete: str | None = "CASCADE", index: bool = True) -> MappedColumn[Any]:
    """A column referencing ``<table>.id``; nullability comes from the annotation.

    ``index=False`` where the column already leads a unique constraint or a
    composite index of its table, or, on the tables every run writes (runs, tasks,
    event records: each index costs every insert and update), where no query looks
    rows up by it and kongflow never deletes the parent (migration 0007).
    """
    return mapped_column(ForeignKey(f"{table}.id", ondelete=ondelete), index=index)


# A GIN index searched on every event or execution: no pending list (migration 0008).
_GIN: dict[str, Any] = {"postgresql_using": "gin", "postgresql_with": {"fastupdate": "off"}}


def _flag(default: bool) -> MappedColumn[bool]:
    """A non-null boolean with the same default in Python and in the database."""
    return mapped_column(default=default, server_default=true() if default else false())


def _int(default: int) -> MappedColumn[int]:
    """A non-null integer with the same default in Python and in the database."""
    return mapped_column(default=default, server_default=text(str(default)))


def _str(default: str) -> MappedColumn[str]:
    """A non-null string with the same default in Python and in the database."""
    return mapped_column(default=default, server_default=default)


def _choice(default: _E) -> MappedColumn[_E]:
    """A non-null enum column with the same default in Python and in the database."""
    return mapped_column(default=default, server_default=default.value)


def _strings() -> MappedColumn[list[str]]:
    """A non-null ``text[]`` that starts out empty."""
    return mapped_column(ARRAY(String), default=list, server_default=text("'{}'"))


def _now() -> MappedColumn[datetime]:
    """A non-null timestamp that the database sets to the insert time."""
    return mapped_column(server_default=func.now())


class Timestamped:
    """Adds database-maintained ``created_at`` and ``updated_at`` columns."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), sort_order=90)
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), sort_order=91
    )


class Row(Timestamped):
    """Adds a prefixed, time-sortable string ``id`` primary key.

    Subclasses set ``__id_prefix__`` (``"run"`` gives ids like ``run_01jd…``).
    """

    __id_prefix__: ClassVar[str]

    @declared_attr
    def id(cls) -> Mapped[str]:
        prefix = cls.__id_prefix__
        return mapped_column(primary_key=True, default=lambda: new_id(prefix), sort_order=-1)


# Plain many-to-many link tables (v2's implicit Prisma join tables).

run_missing_connections = Table(
    "run_missing_connections",
    Base.metadata,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "missing_connection_id",
        ForeignKey("missing_connections.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

dynamic_trigger_jobs = Table(
    "dynamic_trigger_jobs",
    Base.metadata,
    Column(
        "dynamic_trigger_id",
        ForeignKey("dynamic_triggers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# ------------------------------------------------------------------------- tenancy


class Organization(Row, Base):
    """A tenant: owns projects, members, integrations and their run limits."""

    __tablename__ = "organizations"
    __id_prefix__ = "org"

    slug: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    maximum_execution_time_per_run_in_ms: Mapped[int] = _int(900_000)
    # Most run executions in flight at once across the organization (run engine).
    maximum_concurrency_limit: Mapped[int] = _int(10)
    company_size: Mapped[str | None]


class Project(Row, Base):
    """A group of jobs and environments inside an organization."""

    __tablename__ = "projects"
    __id_prefix__ = "proj"

    slug: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    organization_id: Mapped[str] = _fk("organizations")

    organization: Mapped[Organization] = relationship()


class Environment(Row, Base):
    """A runtime environment of a project (dev, staging, prod…) and its API keys.

    The secret key is never stored in clear: ``api_key_hash`` finds the environment
    of an incoming key, and ``api_key_ciphertext`` (encrypted with the instance key)
    is decrypted only when kongflow must present the key to an endpoint.
    """

    __tablename__ = "environments"
    __id_prefix__ = "env"
    __table_args__ = (
        UniqueConstraint("project_id", "slug"),
        UniqueConstraint("project_id", "shortcode"),
    )

    slug: Mapped[str]
    api_key_hash: Mapped[str] = mapped_column(unique=True)
    api_key_ciphertext: Mapped[str]
    pk_api_key: Mapped[str] = mapped_column(unique=True)
    type: Mapped[EnvironmentType] = _choice(EnvironmentType.DEVELOPMENT)
    shortcode: Mapped[str]
    auto_enable_internal_sources: Mapped[bool] = _flag(True)
    organization_id: Mapped[str] = _fk("organizations")
    project_id: Mapped[str] = _fk("projects", index=False)
    org_member_id: Mapped[str | None] = _fk("org_members", ondelete="SET NULL")
    tunnel_id: Mapped[str | None]

    organization: Mapped[Organization] = relationship()
    project: Mapped[Project] = relationship()


class User(Row, Base):
    """A person who can sign in to the dashboard."""

    __tablename__ = "users"
    __id_prefix__ = "user"

    email: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str | None]
    password_hash: Mapped[str]
    admin: Mapped[bool] = _flag(False)


class OrgMember(Row, Base):
    """A user's membership of an organization, with their role."""

    __tablename__ = "org_members"
    __id_prefix__ = "member"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    organization_id: Mapped[str] = _fk("organizations", index=False)
    user_id: Mapped[str] = _fk("users")
    role: Mapped[OrgMemberRole] = _choice(OrgMemberRole.MEMBER)

    organization: Mapped[Organization] = relationship()
    user: Mapped[User] = relationship()


class ExternalAccount(Row, Base):
    """An end user of the customer's own product, named by the SDK's ``accountId``."""

    __tablename__ = "external_accounts"
    __id_prefix__ = "acct"
    __table_args__ = (UniqueConstraint("environment_id", "identifier"),)

    identifier: Mapped[str]
    metadata_: Mapped[Any | None] = mapped_column("metadata", _JSON)
    organization_id: Mapped[str] = _fk("organizations")
    environment_id: Mapped[str] = _fk("environments", index=False)


# ----------------------------------------------------------------------- endpoints


class Endpoint(Row, Base):
    """The customer's HTTP handler running the SDK client, in one environment."""

    __tablename__ = "endpoints"
    __id_prefix__ = "endpoint"
    __table_args__ = (UniqueConstraint("environment_id", "slug"),)

    slug: Mapped[str]
    url: Mapped[str]
    environment_id: Mapped[str] = _fk("environments", index=False)
    organization_id: Mapped[str] = _fk("organizations")
    project_id: Mapped[str] = _fk("projects")
    indexing_hook_identifier: Mapped[str | None]
    version: Mapped[str] = _str("unknown")
    sdk_version: Mapped[str] = _str("unknown")
    run_chunk_execution_limit: Mapped[int] = _int(60_000)
    start_task_threshold: Mapped[int] = _int(750)
    before_execute_task_threshold: Mapped[int] = _int(1500)
    before_complete_task_threshold: Mapped[int] = _int(750)
    after_complete_task_threshold: Mapped[int] = _int(750)

    environment: Mapped[Environment] = relationship()


class EndpointIndex(Row, Base):
    """One attempt at fetching and applying an endpoint's job catalogue."""

    __tablename__ = "endpoint_indexes"
    __id_prefix__ = "eidx"
    __table_args__ = (
        Index("ix_endpoint_indexes_endpoint_created_at", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[str] = _fk("endpoints", index=False)
    source: Mapped[EndpointIndexSource] = _choice(EndpointIndexSource.MANUAL)
    source_data: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None]
    status: Mapped[EndpointIndexStatus] = _choice(EndpointIndexStatus.PENDING)
    data: Mapped[dict[str, Any] | None]
    stats: Mapped[dict[str, Any] | None]
    error: Mapped[dict[str, Any] | None]

    endpoint: Mapped[Endpoint] = relationship()


# ---------------------------------------------------------------------------- jobs


class Job(Row, Base):
    """A job as identified by its SDK id, shared by all environments of a project."""

    __tablename__ = "jobs"
    __id_prefix__ = "job"
    __table_args__ = (UniqueConstraint("project_id", "slug"),)

    slug: Mapped[str]
    title: Mapped[str]
    internal: Mapped[bool] = _flag(False)
    organization_id: Mapped[str] = _fk("organizations")
    project_id: Mapped[str] = _fk("projects", index=False)
    deleted_at: Mapped[datetime | None]


class JobQueue(Row, Base):
    """Legacy per-environment admission queue, kept for schema parity."""

    __tablename__ = "job_queues"
    __id_prefix__ = "jq"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    name: Mapped[str]
    environment_id: Mapped[str] = _fk("environments", index=False)
    job_count: Mapped[int] = _int(0)
    max_jobs: Mapped[int] = _int(100)


class ConcurrencyLimitGroup(Row, Base):
    """A named cap on concurrent executions shared by several jobs of an environment."""

    __tablename__ = "concurrency_limit_groups"
    __id_prefix__ = "clg"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    name: Mapped[str]
    concurrency_limit: Mapped[int]
    environment_id: Mapped[str] = _fk("environments", index=False)


class JobVersion(Row, Base):
    """A job as one endpoint declared it in one environment at one version."""

    __tablename__ = "job_versions"
    __id_prefix__ = "jver"
    __table_args__ = (
        UniqueConstraint("job_id", "version", "environment_id"),
        Index("ix_job_versions_job_environment_status", "job_id", "environment_id", "status"),
    )

    version: Mapped[str]
    event_specification: Mapped[dict[str, Any]]
    # The trigger as declared (kongflow addition): lets a rollback restore the
    # dispatcher or schedule of this version, and lets versions be compared.
    trigger: Mapped[dict[str, Any] | None]
    properties: Mapped[Any | None] = mapped_column(_JSON)
    trigger_link: Mapped[str | None]
    trigger_help: Mapped[dict[str, Any] | None]
    job_id: Mapped[str] = _fk("jobs", index=False)
    endpoint_id: Mapped[str] = _fk("endpoints")
    environment_id: Mapped[str] = _fk("environments")
    organization_id: Mapped[str] = _fk("organizations")
    project_id: Mapped[str] = _fk("projects")
    # Legacy; the queue or group may disappear without taking the version with it.
    queue_id: Mapped[str | None] = _fk("job_queues", ondelete="SET NULL")
    start_position: Mapped[JobStartPosition] = _choice(JobStartPosition.INITIAL)
    preprocess_runs: Mapped[bool] = _flag(False)
    concurrency_limit: Mapped[int | None]
    concurrency_limit_group_id: Mapped[str | None] = _fk(
        "concurrency_limit_groups", ondelete="SET NULL"
    )
    status: Mapped[JobVersionStatus] = _choice(JobVersionStatus.ACTIVE)

    job: Mapped[Job] = relationship()
    endpoint: Mapped[Endpoint] = relationship()
    environment: Mapped[Environment] = relationship()


class JobAlias(Row, Base):
    """Points a job's alias (only ``latest`` in practice) at a version in an environment."""

    __tablename__ = "job_aliases"
    __id_prefix__ = "alias"
    __table_args__ = (UniqueConstraint("job_id", "environment_id", "name"),)

    name: Mapped[str] = _str("latest")
    value: Mapped[str]
    version_id: Mapped[str] = _fk("job_versions")
    job_id: Mapped[str] = _fk("jobs", index=False)
    environment_id: Mapped[str] = _fk("environments")

    version: Mapped[JobVersion] = relationship()


class JobCounter(Timestamped, Base):
    """The last run number handed out for a job (deliberately no foreign key)."""

    __tablename__ = "job_counters"

    job_id: Mapped[str] = mapped_column(primary_key=True)
    last_number: Mapped[int] = _int(0)


class EventExample(Row, Base):
    """A sample payload a job version offers for test runs."""

    __tablename__ = "event_examples"
    __id_prefix__ = "ex"
    __table_args__ = (UniqueConstraint("slug", "job_version_id"),)

    slug: Mapped[str]
    name: Mapped[str]
    icon: Mapped[str | None]
    payload: Mapped[Any | None] = mapped_column(_JSON)
    job_version_id: Mapped[str] = _fk("job_versions")


class JobIntegration(Row, Base):
    """An integration a job version uses, under the key the job's code names it by."""

    __tablename__ = "job_integrations"
    __id_prefix__ = "jinteg"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    key: Mapped[str]
    version_id: Mapped[str] = _fk("job_versions", index=False)
    job_id: Mapped[str] = _fk("jobs")
    integration_id: Mapped[str] = _fk("integrations")

    integration: Mapped[Integration] = relationship()


# -------------------------------------------------------------------------- events


class EventRecord(Row, Base):
    """An event received or scheduled in an environment, waiting for or past delivery."""

    __tablename__ = "event_records"
    __id_prefix__ = "evt"
    __table_args__ = (
        UniqueConstraint("event_id", "environment_id"),
        Index("ix_event_records_environment_created_at", "environment_id", "created_at"),
        Index(
            "ix_event_records_undelivered_deliver_at",
            "deliver_at",
            postgresql_where=text("delivered_at IS NULL AND cancelled_at IS NULL"),
        ),
    )

    event_id: Mapped[str]
    name: Mapped[str]
    timestamp: Mapped[datetime] = _now()
    payload: Mapped[Any] = mapped_column(_JSON)
    payload_type: Mapped[PayloadType] = _choice(PayloadType.JSON)
    context: Mapped[Any | None] = mapped_column(_JSON)
    source_context: Mapped[dict[str, Any] | None]
    source: Mapped[str] = _str("trigger.dev")
    organization_id: Mapped[str] = _fk("organizations", index=False)
    environment_id: Mapped[str] = _fk("environments", index=False)
    project_id: Mapped[str] = _fk("projects", index=False)
    external_account_id: Mapped[str | None] = _fk("external_accounts", index=False)
    http_endpoint_id: Mapped[str | None] = _fk("trigger_http_endpoints", index=False)
    http_endpoint_environment_id: Mapped[str | None] = _fk(
        "trigger_http_endpoint_environments", index=False
    )
    deliver_at: Mapped[datetime] = _now()
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    is_test: Mapped[bool] = _flag(False)
    internal: Mapped[bool] = _flag(False)

    environment: Mapped[Environment] = relationship()


class EventDispatcher(Row, Base):
    """Routes events with matching names and filters to a job version, dynamic trigger
    or callback URL (described by ``dispatchable``)."""

    __tablename__ = "event_dispatchers"
    __id_prefix__ = "disp"
    __table_args__ = (
        UniqueConstraint("dispatchable_id", "environment_id"),
        Index(
            "ix_event_dispatchers_environment_source_enabled_manual",
            "environment_id",
            "source",
            "enabled",
            "manual",
        ),
        Index("ix_event_dispatchers_event", "event", **_GIN),
    )

    event: Mapped[list[str]] = mapped_column(ARRAY(String))
    source: Mapped[str]
    payload_filter: Mapped[dict[str, Any] | None]
    context_filter: Mapped[dict[str, Any] | None]
    manual: Mapped[bool] = _flag(False)
    dispatchable_id: Mapped[str]
    dispatchable: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = _flag(True)
    environment_id: Mapped[str] = _fk("environments", index=False)
    external_account_id: Mapped[str | None] = _fk("external_accounts")

    environment: Mapped[Environment] = relationship()


# ---------------------------------------------------------------------------- runs


class Run(Row, Base):
    """One run of a job version, triggered by one event (v2 ``JobRun``).

    Its status is in no index, so that starting and finishing a run rewrite the row
    in its page without touching an index (migration 0007, with a fill factor).
    """

    __tablename__ = "runs"
    __id_prefix__ = "run"
    __table_args__ = (
        Index("ix_runs_job_environment_created_at", "job_id", "environment_id", "created_at"),
    )

    number: Mapped[int | None]
    internal: Mapped[bool] = _flag(False)
    job_id: Mapped[str] = _fk("jobs", index=False)
    version_id: Mapped[str] = _fk("job_versions", index=False)
    event_id: Mapped[str] = _fk("event_records")
    organization_id: Mapped[str] = _fk("organizations", index=False)
    endpoint_id: Mapped[str] = _fk("endpoints", index=False)
    environment_id: Mapped[str] = _fk("environments", index=False)
    project_id: Mapped[str] = _fk("projects", index=False)
    queue_id: Mapped[str | None] = _fk("job_queues", ondelete="SET NULL", index=False)  # legacy
    external_account_id: Mapped[str | None] = _fk("external_accounts", index=False)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    properties: Mapped[Any | None] = mapped_column(_JSON)
    status: Mapped[RunStatus] = _choice(RunStatus.PENDING)
    output: Mapped[Any | None] = mapped_column(_JSON)
    timed_out_at: Mapped[datetime | None]
    timed_out_reason: Mapped[str | None]
    execution_count: Mapped[int] = _int(0)
    execution_failure_count: Mapped[int] = _int(0)
    execution_duration: Mapped[int] = _int(0)
    is_test: Mapped[bool] = _flag(False)
    preprocess: Mapped[bool] = _flag(False)
    yielded_executions: Mapped[list[str]] = _strings()
    force_yield_immediately: Mapped[bool] = _flag(False)

    job: Mapped[Job] = relationship()
    version: Mapped[JobVersion] = relationship()
    event: Mapped[EventRecord] = relationship()
    organization: Mapped[Organization] = relationship()
    environment: Mapped[Environment] = relationship()
    endpoint: Mapped[Endpoint] = relationship()
    project: Mapped[Project] = relationship()


class RunAutoYieldExecution(Row, Base):
    """Diagnostics for one time the SDK yielded a run because its time chunk ran out."""

    __tablename__ = "run_auto_yield_executions"
    __id_prefix__ = "ryield"

    run_id: Mapped[str] = _fk("runs")
    time_remaining: Mapped[int]
    time_elapsed: Mapped[int]
    limit: Mapped[int]
    location: Mapped[str]


class RunSubscription(Row, Base):
    """A request to be told when a run succeeds or fails."""

    __tablename__ = "run_subscriptions"
    __id_prefix__ = "rsub"
    __table_args__ = (UniqueConstraint("run_id", "recipient", "event"),)

    run_id: Mapped[str] = _fk("runs", index=False)
    recipient: Mapped[str]
    recipient_method: Mapped[RunSubscriptionRecipientMethod] = _choice(
        RunSubscriptionRecipientMethod.WEBHOOK
    )
    event: Mapped[RunSubscriptionEvent]
    status: Mapped[RunSubscriptionStatus] = _choice(RunSubscriptionStatus.ACTIVE)
    delivered_at: Mapped[datetime | None]


class RunStatusRecord(Row, Base):
    """A named, user-visible progress status a run reports via ``io.createStatus``."""

    __tablename__ = "run_status_records"
    __id_prefix__ = "rstat"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    key: Mapped[str]
    run_id: Mapped[str] = _fk("runs", index=False)
    label: Mapped[str]
    state: Mapped[str | None]
    data: Mapped[dict[str, Any] | None]
    history: Mapped[list[Any] | None]


# --------------------------------------------------------------------------- tasks


class Task(Row, Base):
    """One cached step of a run (an ``io.runTask`` call or built-in operation).

    Like a run's, its status is in no index (migration 0007).
    """

    __tablename__ = "tasks"
    __id_prefix__ = "task"
    __table_args__ = (UniqueConstraint("run_id", "idempotency_key"),)

    idempotency_key: Mapped[str]
    display_key: Mapped[str | None]
    name: Mapped[str] = _str("Task")
    icon: Mapped[str | None]
    status: Mapped[TaskStatus] = _choice(TaskStatus.PENDING)
    delay_until: Mapped[datetime | None]
    noop: Mapped[bool] = _flag(False)
    description: Mapped[str | None]
    properties: Mapped[Any | None] = mapped_column(_JSON)
    output_properties: Mapped[Any | None] = mapped_column(_JSON)
    params: Mapped[Any | None] = mapped_column(_JSON)
    output: Mapped[Any | None] = mapped_column(_JSON)
    output_is_undefined: Mapped[bool] = _flag(False)
    context: Mapped[Any | None] = mapped_column(_JSON)
    error: Mapped[str | None]
    redact: Mapped[Any | None] = mapped_column(_JSON)
    style: Mapped[Any | None] = mapped_column(_JSON)
    operation: Mapped[str | None]
    callback_url: Mapped[str | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    run_id: Mapped[str] = _fk("runs", index=False)
    parent_id: Mapped[str | None] = _fk("tasks")
    run_connection_id: Mapped[str | None] = _fk("run_connections")
    child_execution_mode: Mapped[TaskChildExecutionMode] = _choice(
        TaskChildExecutionMode.SEQUENTIAL
    )

    run: Mapped[Run] = relationship()


class TaskAttempt(Row, Base):
    """One numbered try of a task, with its outcome and when it may be retried."""

    __tablename__ = "task_attempts"
    __id_prefix__ = "tatt"
    __table_args__ = (UniqueConstraint("task_id", "number"),)

    number: Mapped[int]
    task_id: Mapped[str] = _fk("tasks", index=False)
    status: Mapped[TaskAttemptStatus] = _choice(TaskAttemptStatus.PENDING)
    error: Mapped[str | None]
    run_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship()


# -------------------------------------------------------------------- integrations


class IntegrationDefinition(Timestamped, Base):
    """A kind of third-party service kongflow knows (id is its name, e.g. ``github``)."""

    __tablename__ = "integration_definitions"

    id: Mapped[str] = mapped_column(primary_key=True, sort_order=-1)
    name: Mapped[str]
    instructions: Mapped[str | None]
    description: Mapped[str | None]
    icon: Mapped[str | None]
    package_name: Mapped[str] = _str("")


class IntegrationAuthMethod(Row, Base):
    """A way (in practice OAuth2) of obtaining credentials for an integration kind."""

    __tablename__ = "integration_auth_methods"
    __id_prefix__ = "iauth"
    __table_args__ = (UniqueConstraint("definition_id", "key"),)

    key: Mapped[str]
    name: Mapped[str]
    description: Mapped[str]
    type: Mapped[str]
    client: Mapped[dict[str, Any] | None]
    config: Mapped[dict[str, Any] | None]
    scopes: Mapped[Any | None] = mapped_column(_JSON)
    help: Mapped[Any | None] = mapped_column(_JSON)
    definition_id: Mapped[str] = _fk("integration_definitions", index=False)

    definition: Mapped[IntegrationDefinition] = relationship()


class SecretReference(Row, Base):
    """A pointer to a secret value held by a secret store provider."""

    __tablename__ = "secret_references"
    __id_prefix__ = "sref"

    key: Mapped[str] = mapped_column(unique=True)
    provider: Mapped[SecretStoreProvider] = _choice(SecretStoreProvider.DATABASE)


class SecretStore(Row, Base):
    """A secret value kept in the database (the ``DATABASE`` provider's storage)."""

    __tablename__ = "secret_stores"
    __id_prefix__ = "sstore"

    key: Mapped[str] = mapped_column(unique=True)
    value: Mapped[Any] = mapped_column(_JSON)
    version: Mapped[str] = _str("1")


class Integration(Row, Base):
    """An organization's configured use of an integration kind, under a slug."""

    __tablename__ = "integrations"
    __id_prefix__ = "integ"
    __table_args__ = (UniqueConstraint("organization_id", "slug"),)

    slug: Mapped[str]
    title: Mapped[str | None]
    description: Mapped[str | None]
    setup_status: Mapped[IntegrationSetupStatus] = _choice(IntegrationSetupStatus.COMPLETE)
    auth_source: Mapped[IntegrationAuthSource] = _choice(IntegrationAuthSource.HOSTED)
    definition_id: Mapped[str] = _fk("integration_definitions")
    auth_method_id: Mapped[str | None] = _fk("integration_auth_methods")
    connection_type: Mapped[ConnectionType] = _choice(ConnectionType.DEVELOPER)
    scopes: Mapped[list[str]] = _strings()
    custom_client_reference_id: Mapped[str | None] = _fk("secret_references")
    organization_id: Mapped[str] = _fk("organizations", index=False)

    definition: Mapped[IntegrationDefinition] = relationship()
    auth_method: Mapped[IntegrationAuthMethod | None] = relationship()


class IntegrationConnection(Row, Base):
    """A stored credential (e.g. OAuth token) for an integration."""

    __tablename__ = "integration_connections"
    __id_prefix__ = "conn"

    connection_type: Mapped[ConnectionType] = _choice(ConnectionType.DEVELOPER)
    expires_at: Mapped[datetime | None]
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", _JSON)
    scopes: Mapped[list[str]] = _strings()
    data_reference_id: Mapped[str] = _fk("secret_references")
    integration_id: Mapped[str] = _fk("integrations")
    organization_id: Mapped[str] = _fk("organizations")
    external_account_id: Mapped[str | None] = _fk("external_accounts")

    integration: Mapped[Integration] = relationship()
    data_reference: Mapped[SecretReference] = relationship()


class ConnectionAttempt(Row, Base):
    """State kept across an OAuth authorization round trip."""

    __tablename__ = "connection_attempts"
    __id_prefix__ = "catt"

    security_code: Mapped[str | None]
    redirect_to: Mapped[str] = _str("/")
    # No cascade (as in v2): an integration with a pending attempt cannot be deleted.
    integration_id: Mapped[str] = _fk("integrations", ondelete=None)


class RunConnection(Row, Base):
    """The credential a run uses for one of its job's integrations, fixed at run start."""

    __tablename__ = "run_connections"
    __id_prefix__ = "rconn"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    key: Mapped[str]
    auth_source: Mapped[IntegrationAuthSource] = _choice(IntegrationAuthSource.HOSTED)
    run_id: Mapped[str] = _fk("runs", index=False)
    connection_id: Mapped[str | None] = _fk("integration_connections")
    integration_id: Mapped[str] = _fk("integrations")

    connection: Mapped[IntegrationConnection | None] = relationship()
    integration: Mapped[Integration] = relationship()


class MissingConnection(Row, Base):
    """A credential that runs are waiting for before they can start."""

    __tablename__ = "missing_connections"
    __id_prefix__ = "mconn"
    __table_args__ = (
        UniqueConstraint("integration_id", "connection_type", "external_account_id"),
        UniqueConstraint("integration_id", "connection_type", "account_identifier"),
    )

    resolved: Mapped[bool] = _flag(False)
    integration_id: Mapped[str] = _fk("integrations", index=False)
    connection_type: Mapped[ConnectionType] = _choice(ConnectionType.DEVELOPER)
    external_account_id: Mapped[str | None] = _fk("external_accounts")
    # The ExternalAccount id, or the literal "DEVELOPER".
    account_identifier: Mapped[str | None]

    integration: Mapped[Integration] = relationship()
    runs: Mapped[list[Run]] = relationship(secondary=run_missing_connections)


# ---------------------------------------------------------------------- triggering


class ScheduleSource(Row, Base):
    """A cron or interval schedule that fires a manual event dispatcher when due."""

    __tablename__ = "schedule_sources"
    __id_prefix__ = "sched"
    __table_args__ = (
        UniqueConstraint("key", "environment_id"),
        Index(
            "ix_schedule_sources_active_next_event_timestamp",
            "next_event_timestamp",
            postgresql_where=text("active"),
        ),
    )

    key: Mapped[str]
    schedule: Mapped[dict[str, Any]]
    environment_id: Mapped[str] = _fk("environments")
    dispatcher_id: Mapped[str] = _fk("event_dispatchers")
    last_event_timestamp: Mapped[datetime | None]
    next_event_timestamp: Mapped[datetime | None]
    worker_job_id: Mapped[str | None]
    active: Mapped[bool] = _flag(False)
    metadata_: Mapped[Any | None] = mapped_column("metadata", _JSON)
    dynamic_trigger_id: Mapped[str | None] = _fk("dynamic_triggers")
    external_account_id: Mapped[str | None] = _fk("external_accounts")

    dispatcher: Mapped[EventDispatcher] = relationship()


class DynamicTrigger(Row, Base):
    """A trigger declared by an endpoint whose concrete registrations happen at runtime."""

    __tablename__ = "dynamic_triggers"
    __id_prefix__ = "dtrig"
    __table_args__ = (UniqueConstraint("endpoint_id", "slug", "type"),)

    type: Mapped[DynamicTriggerType] = _choice(DynamicTriggerType.EVENT)
    slug: Mapped[str]
    endpoint_id: Mapped[str] = _fk("endpoints", index=False)
    source_registration_job_id: Mapped[str | None] = _fk("job_versions")

    endpoint: Mapped[Endpoint] = relationship()
    jobs: Mapped[list[Job]] = relationship(secondary=dynamic_trigger_jobs)


class DynamicTriggerRegistration(Row, Base):
    """One runtime registration of a dynamic trigger, with its dispatcher and source."""

    __tablename__ = "dynamic_trigger_registrations"
    __id_prefix__ = "dtreg"
    __table_args__ = (UniqueConstraint("key", "dynamic_trigger_id"),)

    key: Mapped[str]
    dynamic_trigger_id: Mapped[str] = _fk("dynamic_triggers")
    event_dispatcher_id: Mapped[str] = _fk("event_dispatchers")
    source_id: Mapped[str] = _fk("trigger_sources")
    metadata_: Mapped[Any | None] = mapped_column("metadata", _JSON)


class TriggerSource(Row, Base):
    """An external webhook subscription that the customer's integration code manages."""

    __tablename__ = "trigger_sources"
    __id_prefix__ = "tsrc"
    __table_args__ = (UniqueConstraint("key", "environment_id"),)

    key: Mapped[str]
    params: Mapped[Any | None] = mapped_column(_JSON)
    channel: Mapped[TriggerChannel] = _choice(TriggerChannel.HTTP)
    channel_data: Mapped[Any | None] = mapped_column(_JSON)
    version: Mapped[str] = _str("1")
    metadata_: Mapped[Any | None] = mapped_column("metadata", _JSON)
    secret_reference_id: Mapped[str] = _fk("secret_references")
    organization_id: Mapped[str] = _fk("organizations")
    environment_id: Mapped[str] = _fk("environments")
    endpoint_id: Mapped[str] = _fk("endpoints")
    project_id: Mapped[str] = _fk("projects")
    integration_id: Mapped[str] = _fk("integrations")
    dynamic_trigger_id: Mapped[str | None] = _fk("dynamic_triggers")
    external_account_id: Mapped[str | None] = _fk("external_accounts")
    source_registration_job_id: Mapped[str | None] = _fk("job_versions")
    dynamic_source_id: Mapped[str | None]
    dynamic_source_metadata: Mapped[Any | None] = mapped_column(_JSON)
    active: Mapped[bool] = _flag(False)
    interactive: Mapped[bool] = _flag(False)

    environment: Mapped[Environment] = relationship()
    endpoint: Mapped[Endpoint] = relationship()
    integration: Mapped[Integration] = relationship()
    secret_reference: Mapped[SecretReference] = relationship()


class TriggerSourceOption(Row, Base):
    """One option value (e.g. an event name) a trigger source subscribes to remotely."""

    __tablename__ = "trigger_source_options"
    __id_prefix__ = "tsopt"
    __table_args__ = (UniqueConstraint("name", "value", "source_id"),)

    name: Mapped[str]
    value: Mapped[str]
    source_id: Mapped[str] = _fk("trigger_sources")
    registered: Mapped[bool] = _flag(False)


class HttpSourceRequestDelivery(Row, Base):
    """An HTTP request received for a trigger source, queued for its endpoint."""

    __tablename__ = "http_source_request_deliveries"
    __id_prefix__ = "srcdel"

    url: Mapped[str]
    method: Mapped[str]
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes | None]
    source_id: Mapped[str] = _fk("trigger_sources")
    endpoint_id: Mapped[str] = _fk("endpoints")
    environment_id: Mapped[str] = _fk("environments")
    delivered_at: Mapped[datetime | None]


class TriggerHttpEndpoint(Row, Base):
    """A project-level inbound HTTP endpoint that turns requests into events."""

    __tablename__ = "trigger_http_endpoints"
    __id_prefix__ = "httpep"
    __table_args__ = (UniqueConstraint("key", "project_id"),)

    key: Mapped[str]
    title: Mapped[str | None]
    icon: Mapped[str | None]
    properties: Mapped[Any | None] = mapped_column(_JSON)
    secret_reference_id: Mapped[str] = _fk("secret_references")
    project_id: Mapped[str] = _fk("projects")


class TriggerHttpEndpointEnvironment(Row, Base):
    """An HTTP endpoint's settings in one environment."""

    __tablename__ = "trigger_http_endpoint_environments"
    __id_prefix__ = "httpenv"
    __table_args__ = (
        UniqueConstraint("environment_id", "http_endpoint_id"),
        UniqueConstraint("endpoint_id", "http_endpoint_id"),
    )

    active: Mapped[bool] = _flag(False)
    immediate_response_filter: Mapped[dict[str, Any] | None]
    skip_triggering_runs: Mapped[bool] = _flag(False)
    source: Mapped[str]
    environment_id: Mapped[str] = _fk("environments", index=False)
    endpoint_id: Mapped[str] = _fk("endpoints", index=False)
    http_endpoint_id: Mapped[str] = _fk("trigger_http_endpoints")


class Webhook(Row, Base):
    """A webhook registered with an integration, received through an HTTP endpoint."""

    __tablename__ = "webhooks"
    __id_prefix__ = "webhook"
    __table_args__ = (UniqueConstraint("key", "project_id"),)

    active: Mapped[bool] = _flag(False)
    key: Mapped[str]
    params: Mapped[Any | None] = mapped_column(_JSON)
    http_endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("trigger_http_endpoints.id", ondelete="CASCADE"), unique=True
    )
    project_id: Mapped[str] = _fk("projects")
    integration_id: Mapped[str] = _fk("integrations")


class WebhookEnvironment(Row, Base):
    """A webhook's actual and desired remote configuration in one environment."""

    __tablename__ = "webhook_environments"
    __id_prefix__ = "whenv"
    __table_args__ = (UniqueConstraint("environment_id", "webhook_id"),)

    active: Mapped[bool] = _flag(False)
    config: Mapped[Any | None] = mapped_column(_JSON)
    desired_config: Mapped[Any | None] = mapped_column(_JSON)
    endpoint_id: Mapped[str] = _fk("endpoints")
    environment_id: Mapped[str] = _fk("environments", index=False)
    webhook_id: Mapped[str] = _fk("webhooks")


class WebhookRequestDelivery(Row, Base):
    """An HTTP request received for a webhook, numbered and queued for its endpoint."""

    __tablename__ = "webhook_request_deliveries"
    __id_prefix__ = "whdel"

    number: Mapped[int]
    url: Mapped[str]
    method: Mapped[str]
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes | None]
    verified: Mapped[bool] = _flag(False)
    error: Mapped[str | None]
    webhook_id: Mapped[str] = _fk("webhooks")
    environment_id: Mapped[str] = _fk("environments")
    webhook_environment_id: Mapped[str] = _fk("webhook_environments")
    endpoint_id: Mapped[str] = _fk("endpoints")
    delivered_at: Mapped[datetime | None]


class WebhookDeliveryCounter(Timestamped, Base):
    """The last delivery number handed out for a webhook (no foreign key, as in v2)."""

    __tablename__ = "webhook_delivery_counters"

    webhook_id: Mapped[str] = mapped_column(primary_key=True)
    last_number: Mapped[int] = _int(0)


# ---------------------------------------------------------------------------- store


class KeyValueItem(Row, Base):
    """One ``io.store`` entry: opaque bytes under a key, per environment."""

    __tablename__ = "key_value_items"
    __id_prefix__ = "kv"
    __table_args__ = (
        UniqueConstraint("environment_id", "key"),
        Index("ix_key_value_items_key", "key", postgresql_using="hash"),
    )

    key: Mapped[str]
    value: Mapped[bytes]
    environment_id: Mapped[str] = _fk("environments", index=False)


# --------------------------------------------------------------------- concurrency


class ExecutionSlot(Timestamped, Base):
    """A run execution in flight, holding one place under each limit named in ``keys``.

    kongflow's replacement for v2's Redis sorted sets: the number of rows naming a
    key is that key's current concurrency. A row left behind by a crashed worker
    stops counting once it is older than the longest possible execution.
    """

    __tablename__ = "execution_slots"
    __table_args__ = (Index("ix_execution_slots_keys", "keys", **_GIN),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    keys: Mapped[list[str]] = mapped_column(ARRAY(String))
    acquired_at: Mapped[datetime] = _now()


class ExecutionWait(Timestamped, Base):
    """A run ready to execute but held back by a saturated limit; woken, oldest
    first, when an execution under one of its ``keys`` ends."""

    __tablename__ = "execution_waits"
    __table_args__ = (Index("ix_execution_waits_keys", "keys", **_GIN),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    keys: Mapped[list[str]] = mapped_column(ARRAY(String))
    since: Mapped[datetime] = _now()
