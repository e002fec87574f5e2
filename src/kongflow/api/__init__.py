"""HTTP API: the SDK-compatible v1/v2 routes and kongflow's own management routes."""
