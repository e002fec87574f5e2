"""Endpoints: the user's HTTP handlers running the SDK, and indexing them."""
