"""kongflow's own JSON API for the CLI and the dashboard (``/api/manage``)."""
