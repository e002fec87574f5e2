"""Events: ingestion, delivery to dispatchers, cancellation."""
