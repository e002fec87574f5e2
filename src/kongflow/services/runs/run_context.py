"""A run and the rows around it, read in one statement.

The run with everything its EXECUTE_JOB body, its concurrency limits and its
RunNotification name: the event, job, version, endpoint, environment, organization,
project, the external account if any, and the version's concurrency group limit.
One plain query in no transaction of its own (a single statement reads one
snapshot), read into session-less ORM objects (``db/raw.transient``). It takes no
lock: starting an execution checks that the run is still in the status read here.
Every execution reads it; through the ORM, with joined loads, this read was the most
expensive statement of a run.
"""

from dataclasses import dataclass

from kongflow.db.orm import (
    Endpoint,
    Environment,
    EventRecord,
    ExternalAccount,
    Job,
    JobVersion,
    Organization,
    Project,
    Run,
)
from kongflow.db.raw import Work, driver_connection, select_list, transient
from kongflow.services.runs.concurrency import Limit, limits_of

_MODELS = {
    "run": Run,
    "event": EventRecord,
    "endpoint": Endpoint,
    "version": JobVersion,
    "job": Job,
    "environment": Environment,
    "organization": Organization,
    "project": Project,
    "account": ExternalAccount,
}
_READ = (
    f"SELECT {', '.join(select_list(model, alias) for alias, model in _MODELS.items())}, "
    "limit_group.concurrency_limit AS group_limit "
    "FROM runs run "
    "JOIN event_records event ON event.id = run.event_id "
    "JOIN endpoints endpoint ON endpoint.id = run.endpoint_id "
    "JOIN job_versions version ON version.id = run.version_id "
    "JOIN jobs job ON job.id = run.job_id "
    "JOIN environments environment ON environment.id = run.environment_id "
    "JOIN organizations organization ON organization.id = run.organization_id "
    "JOIN projects project ON project.id = run.project_id "
    "LEFT JOIN external_accounts account ON account.id = run.external_account_id "
    "LEFT JOIN concurrency_limit_groups limit_group "
    "ON limit_group.id = version.concurrency_limit_group_id "
    "WHERE run.id = $1"
)


@dataclass(frozen=True)
class RunContext:
    """A run and the rows around it, as they were when read."""

    run: Run
    event: EventRecord
    endpoint: Endpoint
    version: JobVersion
    job: Job
    environment: Environment
    organization: Organization
    project: Project
    account: ExternalAccount | None
    group_limit: int | None

    def limits(self) -> list[Limit]:
        """The concurrency limits an execution of the run counts against."""
        return limits_of(self.run, self.version, self.organization, group_limit=self.group_limit)


async def read_run_context(work: Work, run_id: str) -> RunContext | None:
    """The context of run ``run_id``, or None if there is no such run."""
    connection = await driver_connection(work)
    row = await connection.fetchrow(_READ, run_id)
    if row is None:
        return None
    run = transient(Run, row, "run")
    return RunContext(
        run=run,
        event=transient(EventRecord, row, "event"),
        endpoint=transient(Endpoint, row, "endpoint"),
        version=transient(JobVersion, row, "version"),
        job=transient(Job, row, "job"),
        environment=transient(Environment, row, "environment"),
        organization=transient(Organization, row, "organization"),
        project=transient(Project, row, "project"),
        account=transient(ExternalAccount, row, "account") if run.external_account_id else None,
        group_limit=row["group_limit"],
    )
