"""Names of kongflow's worker tasks, shared by the services that defer them and the
worker module that implements them (so neither imports the other)."""

INDEX_ENDPOINT = "index_endpoint"
DELIVER_EVENT = "deliver_event"
DELIVER_SCHEDULED = "deliver_scheduled"
EXECUTE_RUN = "execute_run"
RESUME_TASK = "resume_task"
TASK_CALLBACK_TIMEOUT = "task_callback_timeout"
DELIVER_RUN_SUBSCRIPTIONS = "deliver_run_subscriptions"
INVOKE_EPHEMERAL_DISPATCHER = "invoke_ephemeral_dispatcher"
EXPIRE_EPHEMERAL_DISPATCHER = "expire_ephemeral_dispatcher"


def run_lock(run_id: str) -> str:
    """The procrastinate lock every job that executes run ``run_id`` holds, so at most
    one of them runs at a time and a job that finds the run EXECUTING knows the
    previous holder died."""
    return f"run:{run_id}"
