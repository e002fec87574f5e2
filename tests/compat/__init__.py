"""Compatibility tests that drive the official trigger.dev v2 Node SDK."""
