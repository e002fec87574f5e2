"""Secrets kept by kongflow (source secrets, OAuth tokens), encrypted at rest."""
