"""Integrations: the third-party services jobs use, and their credentials."""
