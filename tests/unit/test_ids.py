"""Ids are prefixed, ULID-shaped and sort in creation order even within a millisecond."""

from ulid import ULID

from kongflow.ids import new_id, new_ulid


def test_ids_are_prefixed_lowercase_ulids() -> None:
    value = new_id("run")
    prefix, _, ulid = value.partition("_")
    assert prefix == "run" and len(ulid) == 26 and ulid == ulid.lower()
    assert str(ULID.from_str(ulid.upper())).lower() == ulid  # a valid ULID


def test_ids_made_back_to_back_sort_in_creation_order() -> None:
    made = [new_ulid() for _ in range(5000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
