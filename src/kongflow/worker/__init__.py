"""Background work on procrastinate: the app, its tasks, and transactional deferral."""
