"""Use cases about organizations (the top tenant: projects, environments, limits)."""
