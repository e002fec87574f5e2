"""Which run status changes are legal: the one place that says so.

Every service that changes a run's status asks :func:`check_run_transition` first.
The table follows v2's statuses (platform spec §5.13); kongflow differs in one rule
on purpose: a finished run stays finished (v2's cancel overwrote even a SUCCESS),
except that Continue may re-queue a run that failed, timed out or was cancelled.
"""

from kongflow.domain.enums import RunStatus
from kongflow.errors import Conflict

S = RunStatus

FINISHED_RUN_STATUSES = frozenset(
    {
        S.SUCCESS,
        S.FAILURE,
        S.TIMED_OUT,
        S.ABORTED,
        S.CANCELED,
        S.UNRESOLVED_AUTH,
        S.INVALID_PAYLOAD,
    }
)

# Statuses the public API reports as STARTED (v2 mapping).
PUBLIC_STARTED = frozenset({S.EXECUTING, S.WAITING_TO_CONTINUE, S.WAITING_TO_EXECUTE})

_CONTINUABLE = frozenset({S.FAILURE, S.TIMED_OUT, S.UNRESOLVED_AUTH, S.ABORTED, S.CANCELED})

# from-status -> statuses it may move to
RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    S.PENDING: frozenset({S.QUEUED, S.WAITING_ON_CONNECTIONS, S.CANCELED, S.FAILURE}),
    S.WAITING_ON_CONNECTIONS: frozenset({S.QUEUED, S.CANCELED, S.FAILURE}),
    S.QUEUED: frozenset({S.EXECUTING, S.CANCELED, S.FAILURE, S.TIMED_OUT}),
    S.PREPROCESSING: frozenset({S.QUEUED, S.EXECUTING, S.ABORTED, S.CANCELED, S.FAILURE}),
    S.STARTED: frozenset({S.EXECUTING, S.CANCELED, S.FAILURE}),
    S.EXECUTING: frozenset(
        {
            S.SUCCESS,
            S.FAILURE,
            S.TIMED_OUT,
            S.CANCELED,
            S.UNRESOLVED_AUTH,
            S.INVALID_PAYLOAD,
            S.WAITING_TO_CONTINUE,
            S.WAITING_TO_EXECUTE,
        }
    ),
    S.WAITING_TO_CONTINUE: frozenset(
        {S.WAITING_TO_EXECUTE, S.EXECUTING, S.CANCELED, S.FAILURE, S.TIMED_OUT}
    ),
    S.WAITING_TO_EXECUTE: frozenset({S.EXECUTING, S.CANCELED, S.FAILURE, S.TIMED_OUT}),
    **{status: frozenset({S.QUEUED}) for status in _CONTINUABLE},
    S.SUCCESS: frozenset(),
    S.INVALID_PAYLOAD: frozenset(),
}


class IllegalRunTransition(Conflict):
    """A run was asked to move between statuses that the rules forbid."""

    code = "illegal_run_transition"


def can_transition(current: RunStatus, target: RunStatus) -> bool:
    """True when a run in ``current`` may move to ``target``."""
    return target in RUN_TRANSITIONS[current]


def check_run_transition(current: RunStatus, target: RunStatus) -> None:
    """Raise :class:`IllegalRunTransition` unless ``current`` → ``target`` is legal."""
    if not can_transition(current, target):
        raise IllegalRunTransition(
            f"A run cannot go from {current.value} to {target.value}.",
            details={"from": current.value, "to": target.value},
        )


def public_run_status(status: RunStatus) -> str:
    """The status the v2 public API shows (in-flight states read as STARTED)."""
    return "STARTED" if status in PUBLIC_STARTED else status.value
