"""Worker task catalogue. Each task is thin: it opens a transaction (or hands the
whole payload) to one service."""

from datetime import UTC, datetime

import procrastinate

from kongflow.services.endpoints.create_endpoint import INDEX_TASK
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from kongflow.services.endpoints.purge_endpoint_indexes import purge_endpoint_indexes
from kongflow.services.endpoints.reindex_deployed_endpoints import reindex_deployed_endpoints
from kongflow.worker.app import app, resources_of


@app.task(name=INDEX_TASK, pass_context=True, retry=2)
async def index_endpoint(context: procrastinate.JobContext, endpoint_index_id: str) -> None:
    """Fetch and apply an endpoint's catalogue (see PerformEndpointIndex)."""
    await perform_endpoint_index(resources_of(context), endpoint_index_id)


@app.periodic(cron="*/5 * * * *", periodic_id="reindex_deployed_endpoints")
@app.task(name="reindex_deployed_endpoints", pass_context=True, queueing_lock="reindex")
async def reindex_deployed(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every five minutes: queue indexes of deployed endpoints (see the service)."""
    async with resources_of(context).database.transaction() as session:
        await reindex_deployed_endpoints(session, now=datetime.fromtimestamp(timestamp, UTC))


@app.periodic(cron="17 * * * *", periodic_id="purge_endpoint_indexes")
@app.task(name="purge_endpoint_indexes", pass_context=True, queueing_lock="purge_indexes")
async def purge_indexes(context: procrastinate.JobContext, timestamp: int) -> None:
    """Hourly: delete index records older than a week."""
    async with resources_of(context).database.transaction() as session:
        await purge_endpoint_indexes(session, now=datetime.fromtimestamp(timestamp, UTC))
