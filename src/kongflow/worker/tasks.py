"""Worker task catalogue. Each task is thin: it hands its payload to one service."""

import procrastinate

from kongflow.services.endpoints.create_endpoint import INDEX_TASK
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from kongflow.worker.app import app, resources_of


@app.task(name=INDEX_TASK, pass_context=True, retry=2)
async def index_endpoint(context: procrastinate.JobContext, endpoint_index_id: str) -> None:
    """Fetch and apply an endpoint's catalogue (see PerformEndpointIndex)."""
    await perform_endpoint_index(resources_of(context), endpoint_index_id)
