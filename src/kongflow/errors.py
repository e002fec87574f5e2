"""Errors as values with a machine-readable code.

Services raise these; the API maps each one to an HTTP status once (``api/errors.py``),
and the CLI prints its message. A new failure mode is a new subclass here, never an
ad-hoc HTTPException deep in a service.
"""

from typing import Any


class KongflowError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``message`` is for people."""

    code = "error"
    status_code = 400

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class ConfigurationError(KongflowError):
    """The process was started with settings it cannot work with."""

    code = "configuration_error"
    status_code = 503


class InvalidRequest(KongflowError):
    """The caller sent something malformed."""

    code = "invalid_request"
    status_code = 400


class Unauthorized(KongflowError):
    """No usable credentials."""

    code = "unauthorized"
    status_code = 401


class NotFound(KongflowError):
    """The thing does not exist for this caller (other tenants' rows are not found)."""

    code = "not_found"
    status_code = 404


class Conflict(KongflowError):
    """The request contradicts the current state."""

    code = "conflict"
    status_code = 409


class ValidationFailed(KongflowError):
    """Well-formed input that breaks a rule; ``details`` lists what and where."""

    code = "validation_failed"
    status_code = 422
