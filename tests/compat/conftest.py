"""Fixtures for the compatibility tests: the Node project with the official SDK."""

from pathlib import Path

import pytest

from tests.compat.node_endpoint import ensure_installed, node_available


@pytest.fixture(scope="session")
def node_project() -> Path:
    """The installed ``tests/compat/node`` folder; skips when node or npm is missing."""
    reason = node_available()
    if reason is not None:
        pytest.skip(reason)
    return ensure_installed()
