"""Tasks: the cached, idempotent steps of a run (``io.runTask`` and friends)."""
