"""The Celery app of bench/run_throughput.py's comparison: one no-op task on local Redis."""

from celery import Celery

app = Celery("bench", broker="redis://127.0.0.1:6379/15", backend="redis://127.0.0.1:6379/15")


@app.task(name="bench.noop")
def noop() -> None:
    """Do nothing: the cost measured is the queue's own."""
