"""UpdateRunStatus: create or change one status of a run (``io.createStatus``,
``status.update``, ``TriggerClient.updateStatus``).

A status is keyed by ``(run, key)``. Fields left out of an update keep their value;
fields given replace it (``data`` is replaced whole, not merged).

``history`` lists every state the status has been in, oldest first, the current one
last: after the first update it holds that update, after the second both. This is
what the recorded SDK traffic shows (``runs/status-and-store/03`` and ``23``). The
platform notes (§6.7) describe v2 as appending only the *previous* state, which would
leave the first update out until a second one came; we follow the captures. The SDK
reads ``history`` as a list of updates and nothing more.

A status created without a ``label`` is labelled with its key: the SDK always sends
one on the first call, and the record needs a label.
"""

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import RunStatusRecord
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.runs.find_run import find_run

StatusState = Literal["loading", "success", "failure"]


@dataclass(frozen=True)
class StatusUpdate:
    """The fields an update sets; None means "leave as it is"."""

    label: str | None = None
    state: StatusState | None = None
    data: dict[str, Any] | None = None


def status_entry(label: str, state: str | None, data: dict[str, Any] | None) -> dict[str, Any]:
    """A status as ``{label, state?, data?}``: its wire shape, and one ``history`` entry.

    Unset keys are left out rather than null: the SDK's schema takes a missing
    ``state`` or ``data`` but refuses a null one.
    """
    entry: dict[str, Any] = {"label": label}
    if state is not None:
        entry["state"] = state
    if data is not None:
        entry["data"] = data
    return entry


async def _locked(session: AsyncSession, run_id: str, key: str) -> RunStatusRecord | None:
    return await session.scalar(
        select(RunStatusRecord)
        .where(RunStatusRecord.run_id == run_id, RunStatusRecord.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def update_run_status(
    session: AsyncSession,
    scope: EnvironmentScope,
    run_id: str,
    status_key: str,
    update: StatusUpdate,
) -> RunStatusRecord:
    """Create status ``status_key`` of run ``run_id`` or apply ``update`` to it, and
    return it. Raises NotFound (``run_not_found``) for a run of another environment."""
    run = await find_run(session, scope, run_id)
    record = await _locked(session, run.id, status_key)
    if record is None:
        label = status_key if update.label is None else update.label
        created: RunStatusRecord | None = await session.scalar(
            insert(RunStatusRecord)
            .values(
                run_id=run.id,
                key=status_key,
                label=label,
                state=update.state,
                data=update.data,
                history=[status_entry(label, update.state, update.data)],
            )
            .on_conflict_do_nothing(index_elements=["run_id", "key"])
            .returning(RunStatusRecord)
        )
        if created is not None:
            return created
        # A concurrent first update won the insert: apply this one on top of it.
        record = await _locked(session, run.id, status_key)
        assert record is not None
    if update.label is not None:
        record.label = update.label
    if update.state is not None:
        record.state = update.state
    if update.data is not None:
        record.data = update.data
    current = status_entry(record.label, record.state, record.data)
    record.history = [*(record.history or []), current]
    await session.flush()
    return record
