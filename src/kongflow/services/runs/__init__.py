"""Runs: creation, execution, cancellation."""
