"""Use cases. Each module is one verb; functions take a session and only flush."""
