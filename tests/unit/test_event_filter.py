"""The event filter language: validation errors with their paths, and matching.

Expected results follow ``eventFilterMatches`` / ``EventFilterSchema`` of
``@trigger.dev/core`` 2.3.x as described in ``platform.md`` §4.6.
"""

import json
import math
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kongflow.domain.event_filter import (
    MAX_FILTER_DEPTH,
    EventFilterError,
    event_filter_matches,
    validate_event_filter,
)

MISSING = object()


def op(operator: str, operand: object, value: object = MISSING) -> bool:
    """Whether ``{"v": value}`` (or ``{}`` when ``value`` is MISSING) passes one operator."""
    payload = {} if value is MISSING else {"v": value}
    return event_filter_matches(payload, {"v": [{operator: operand}]})


def is_valid(filter: object) -> bool:
    try:
        validate_event_filter(filter)
    except EventFilterError:
        return False
    return True


def error_for(filter: object, *, path: str = "filter") -> EventFilterError:
    with pytest.raises(EventFilterError) as info:
        validate_event_filter(filter, path=path)
    return info.value


# --- empty and null ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, {}, {"a": 1}, [], [1, 2], "text", 0, False, 1.5])
def test_no_filter_and_empty_filter_match_everything(payload: object) -> None:
    assert event_filter_matches(payload, None) is True
    assert event_filter_matches(payload, {}) is True


@pytest.mark.parametrize(
    "filter",
    [
        {"a": ["x"]},
        {"a": []},
        {"a": {}},
        {"a": [{"$exists": False}]},
        {"a": [{"$isNull": True}]},
        {"a": [{"$anythingBut": "x"}]},
    ],
)
def test_a_null_payload_only_matches_an_empty_filter(filter: dict[str, Any]) -> None:
    assert event_filter_matches(None, filter) is False


def test_a_nested_filter_on_a_null_or_missing_property() -> None:
    assert event_filter_matches({"a": None}, {"a": {}}) is True
    assert event_filter_matches({}, {"a": {}}) is True
    assert event_filter_matches({"a": None}, {"a": {"b": []}}) is False
    assert event_filter_matches({}, {"a": {"b": [{"$exists": False}]}}) is False


def test_an_empty_matcher_list_matches_any_value_including_missing() -> None:
    for payload in ({"a": 1}, {"a": None}, {"a": [1]}, {"a": {"b": 1}}, {}, "text", 3):
        assert event_filter_matches(payload, {"a": []}) is True


# --- plain value lists ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_values", "value", "expected"),
    [
        (["open", "reopened"], "open", True),
        (["open", "reopened"], "reopened", True),
        (["open", "reopened"], "closed", False),
        (["open"], "Open", False),
        (["1"], 1, False),
        ([1, 2.5], 2.5, True),
        ([1, 2], 1.0, True),
        ([1], "1", False),
        ([1], True, False),
        ([0], False, False),
        ([True], True, True),
        ([True], 1, False),
        ([False], False, True),
        ([False], None, False),
        ([False], 0, False),
        (["a"], None, False),
        (["a"], ["a"], False),
        ([1], [1], False),
        (["a"], {"a": "a"}, False),
    ],
)
def test_a_value_list_is_an_or_of_strict_equalities(
    filter_values: list[object], value: object, expected: bool
) -> None:
    assert event_filter_matches({"v": value}, {"v": filter_values}) is expected


def test_a_value_list_does_not_match_a_missing_property() -> None:
    assert event_filter_matches({"other": "x"}, {"v": ["x"]}) is False
    assert event_filter_matches({}, {"v": [1]}) is False
    assert event_filter_matches({}, {"v": [False]}) is False


def test_numbers_compare_as_javascript_doubles() -> None:
    big = 2**53
    assert event_filter_matches({"v": big + 1}, {"v": [float(big)]}) is True
    assert event_filter_matches({"v": 10**400}, {"v": [{"$gt": 1e308}]}) is True
    assert event_filter_matches({"v": -(10**400)}, {"v": [{"$lt": -1e308}]}) is True


# --- every key must match ------------------------------------------------------------------


def test_all_keys_must_match() -> None:
    filter = {"status": ["open"], "priority": [{"$gte": 2}]}
    assert event_filter_matches({"status": "open", "priority": 3}, filter) is True
    assert event_filter_matches({"status": "open", "priority": 1}, filter) is False
    assert event_filter_matches({"status": "closed", "priority": 3}, filter) is False
    assert event_filter_matches({"status": "open"}, filter) is False


def test_extra_payload_keys_are_ignored() -> None:
    assert event_filter_matches({"a": "x", "b": 2, "c": [3]}, {"a": ["x"]}) is True


# --- nested filters ------------------------------------------------------------------------


def test_nested_objects_are_matched_recursively() -> None:
    filter = {"user": {"address": {"country": ["NL", "BE"]}, "age": [{"$gte": 18}]}}
    assert event_filter_matches({"user": {"address": {"country": "NL"}, "age": 30}}, filter)
    assert not event_filter_matches({"user": {"address": {"country": "DE"}, "age": 30}}, filter)
    assert not event_filter_matches({"user": {"address": {"country": "NL"}, "age": 17}}, filter)
    assert not event_filter_matches({"user": {"age": 30}}, filter)
    assert not event_filter_matches({"user": None}, filter)
    assert not event_filter_matches({"user": "NL"}, filter)


def test_a_nested_filter_against_an_array_needs_one_matching_element() -> None:
    filter = {"labels": {"name": ["bug"]}}
    assert event_filter_matches({"labels": [{"name": "docs"}, {"name": "bug"}]}, filter)
    assert not event_filter_matches({"labels": [{"name": "docs"}, {"name": "ui"}]}, filter)
    assert not event_filter_matches({"labels": []}, filter)
    assert not event_filter_matches({"labels": [None, "bug", ["bug"]]}, filter)


def test_one_element_must_match_the_whole_nested_filter() -> None:
    filter = {"items": {"sku": ["A"], "qty": [{"$gt": 5}]}}
    assert not event_filter_matches(
        {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 9}]}, filter
    )
    assert event_filter_matches({"items": [{"sku": "B", "qty": 9}, {"sku": "A", "qty": 6}]}, filter)


def test_an_empty_nested_filter_against_arrays() -> None:
    # ``[].some(...)`` is false, so even an empty nested filter needs one element.
    assert event_filter_matches({"a": []}, {"a": {}}) is False
    assert event_filter_matches({"a": [None]}, {"a": {}}) is True
    assert event_filter_matches({"a": [1]}, {"a": {}}) is True


def test_nested_filters_through_arrays_at_several_levels() -> None:
    payload = {"orders": [{"lines": [{"sku": "X"}]}, {"lines": [{"sku": "Y"}, {"sku": "Z"}]}]}
    assert event_filter_matches(payload, {"orders": {"lines": {"sku": ["Z"]}}})
    assert not event_filter_matches(payload, {"orders": {"lines": {"sku": ["W"]}}})


def test_the_spec_example() -> None:
    filter = {"payload": {"status": ["open", "reopened"], "labels": {"name": ["bug"]}}}
    record = {"payload": {"status": "reopened", "labels": [{"name": "bug"}]}, "context": {}}
    assert event_filter_matches(record, filter)
    record["payload"]["status"] = "closed"
    assert not event_filter_matches(record, filter)


def test_properties_are_only_read_from_objects() -> None:
    assert event_filter_matches("abc", {"length": [{"$exists": False}]}) is True
    assert event_filter_matches([1, 2], {"0": [1]}) is False
    assert event_filter_matches(5, {"a": [{"$exists": True}]}) is False


# --- string operators ----------------------------------------------------------------------


# The $ignoreCaseEquals cases were checked against Node 20's
# ``a.localeCompare(b, undefined, {sensitivity: "accent"}) === 0``.
@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("$startsWith", "img/", "img/cat.png", True),
        ("$startsWith", "img/", "docs/img/cat.png", False),
        ("$startsWith", "", "anything", True),
        ("$startsWith", "IMG", "img/cat.png", False),
        ("$startsWith", "1", 123, False),
        ("$startsWith", "a", ["abc"], False),
        ("$startsWith", "a", MISSING, False),
        ("$startsWith", "a", None, False),
        ("$endsWith", ".png", "cat.png", True),
        ("$endsWith", ".png", "cat.PNG", False),
        ("$endsWith", ".png", "cat.png.txt", False),
        ("$endsWith", "", "", True),
        ("$endsWith", "3", 123, False),
        ("$endsWith", "e", True, False),
        ("$ignoreCaseEquals", "hello", "HeLLo", True),
        ("$ignoreCaseEquals", "hello", "hello!", False),
        ("$ignoreCaseEquals", "café", "CAFÉ", True),
        ("$ignoreCaseEquals", "cafe", "café", False),
        ("$ignoreCaseEquals", "é", "e\u0301", True),
        ("$ignoreCaseEquals", "abc", "\uff21\uff22\uff23", True),  # full-width ABC
        ("$ignoreCaseEquals", "\ufb01le", "FILE", True),  # the "fi" ligature
        (  # Greek, with a final sigma
            "$ignoreCaseEquals",
            "\u03c3\u03bf\u03c6\u03bf\u03c2",
            "\u03a3\u039f\u03a6\u039f\u03a3",
            True,
        ),
        ("$ignoreCaseEquals", "\u30ab\u30bf", "\u304b\u305f", True),  # katakana, hiragana
        ("$ignoreCaseEquals", "a\u0000b", "ab", True),
        ("$ignoreCaseEquals", "a\tb", "ab", False),
        ("$ignoreCaseEquals", "I", "\u0131", False),  # dotless i
        ("$ignoreCaseEquals", "abc", "ab\u00adc", True),
        ("$ignoreCaseEquals", "stra\u00dfe", "STRASSE", False),
        ("$ignoreCaseEquals", "1", 1, False),
        ("$ignoreCaseEquals", "", MISSING, False),
    ],
)
def test_string_operators(operator: str, operand: str, value: object, expected: bool) -> None:
    assert op(operator, operand, value) is expected


def test_prefix_and_suffix_work_on_utf16_code_units_like_javascript() -> None:
    emoji = "\U0001f600"
    assert op("$startsWith", "\ud83d", emoji + "x") is True
    assert op("$endsWith", "\ude00", "x" + emoji) is True
    assert op("$startsWith", "\ude00", emoji) is False


# --- $exists / $isNull ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("$exists", True, "x", True),
        ("$exists", True, None, True),
        ("$exists", True, 0, True),
        ("$exists", True, False, True),
        ("$exists", True, [], True),
        ("$exists", True, MISSING, False),
        ("$exists", False, MISSING, True),
        ("$exists", False, None, False),
        ("$exists", False, "", False),
        ("$isNull", True, None, True),
        ("$isNull", True, MISSING, False),
        ("$isNull", True, 0, False),
        ("$isNull", True, "", False),
        ("$isNull", False, None, False),
        ("$isNull", False, MISSING, True),
        ("$isNull", False, "x", True),
        ("$isNull", False, [None], True),
    ],
)
def test_exists_and_is_null(operator: str, operand: bool, value: object, expected: bool) -> None:
    assert op(operator, operand, value) is expected


def test_exists_false_inside_a_nested_object() -> None:
    filter = {"user": {"deletedAt": [{"$exists": False}]}}
    assert event_filter_matches({"user": {"name": "a"}}, filter) is True
    assert event_filter_matches({"user": {"deletedAt": None}}, filter) is False
    # The nested object itself must be there: a missing parent is a null payload.
    assert event_filter_matches({}, filter) is False


# --- $anythingBut --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operand", "value", "expected"),
    [
        ("closed", "open", True),
        ("closed", "closed", False),
        ("closed", "CLOSED", True),
        ("1", 1, True),
        (1, 1, False),
        (1, 1.0, False),
        (1, 2, True),
        (1, True, True),
        (True, True, False),
        (False, 0, True),
        ("x", MISSING, True),
        ("x", None, True),
        ("x", ["x"], True),
        (["a", "b"], "a", False),
        (["a", "b"], "b", False),
        (["a", "b"], "c", True),
        (["a", "b"], MISSING, True),
        ([1, 2], 2, False),
        ([1, 2], "2", True),
        ([True], True, False),
        ([True], False, True),
        ([], "anything", True),
    ],
)
def test_anything_but(operand: object, value: object, expected: bool) -> None:
    assert op("$anythingBut", operand, value) is expected


# --- numeric operators ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("$gt", 10, 11, True),
        ("$gt", 10, 10, False),
        ("$gt", 10, 10.5, True),
        ("$gt", 0, -1, False),
        ("$gt", 0, "5", False),
        ("$gt", 0, True, False),
        ("$gt", 0, [5], False),
        ("$gt", 0, None, False),
        ("$gt", 0, MISSING, False),
        ("$gte", 10, 10, True),
        ("$gte", 10, 9.999, False),
        ("$gte", 0, False, False),
        ("$lt", 10, 9, True),
        ("$lt", 10, 10, False),
        ("$lt", 1, True, False),
        ("$lt", 10, "1", False),
        ("$lte", 10, 10, True),
        ("$lte", 10, 10.001, False),
        ("$lte", 0.5, 0.5, True),
        ("$lte", 1, None, False),
    ],
)
def test_comparisons_need_numbers(
    operator: str, operand: float, value: object, expected: bool
) -> None:
    assert op(operator, operand, value) is expected


@pytest.mark.parametrize(
    ("bounds", "value", "expected"),
    [
        ([1, 5], 1, True),
        ([1, 5], 5, True),
        ([1, 5], 3.5, True),
        ([1, 5], 0.999, False),
        ([1, 5], 5.001, False),
        ([1, 5], "3", False),
        ([1, 5], True, False),
        ([1, 5], MISSING, False),
        ([-2.5, -2.5], -2.5, True),
        ([5, 1], 3, False),
    ],
)
def test_between_is_inclusive(bounds: list[float], value: object, expected: bool) -> None:
    assert op("$between", bounds, value) is expected


def test_operators_in_one_list_are_anded() -> None:
    filter = {"size": [{"$gt": 10}, {"$lt": 100}]}
    assert event_filter_matches({"size": 50}, filter) is True
    assert event_filter_matches({"size": 10}, filter) is False
    assert event_filter_matches({"size": 100}, filter) is False
    prefix_and_suffix = {"path": [{"$startsWith": "img/"}, {"$endsWith": ".png"}]}
    assert event_filter_matches({"path": "img/cat.png"}, prefix_and_suffix) is True
    assert event_filter_matches({"path": "img/cat.jpg"}, prefix_and_suffix) is False
    assert event_filter_matches({"path": "doc/cat.png"}, prefix_and_suffix) is False


# --- $includes / $not ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operand", "value", "expected"),
    [
        ("bug", ["docs", "bug"], True),
        ("bug", ["docs"], False),
        ("bug", [], False),
        ("bug", "bug", False),
        ("bug", "a bug here", False),
        ("bug", MISSING, False),
        ("bug", [["bug"]], False),
        ("bug", [{"name": "bug"}], False),
        (1, [1, 2], True),
        (1, [1.0], True),
        (1, ["1"], False),
        (1, [True], False),
        (True, [True], True),
        (True, [1], False),
        (False, [0, None], False),
    ],
)
def test_includes(operand: object, value: object, expected: bool) -> None:
    assert op("$includes", operand, value) is expected


@pytest.mark.parametrize(
    ("operand", "value", "expected"),
    [
        ("x", "y", True),
        ("x", "x", False),
        (1, 1, False),
        (1, 2, True),
        (1, "1", True),
        (1, True, True),
        (True, True, False),
        (False, True, True),
        ("x", ["a", "b"], True),
        ("x", ["a", "x"], False),
        ("x", [], True),
        (1, [1.0], False),
        (1, ["1"], True),
        ("x", MISSING, False),
        ("x", None, False),
        ("x", {"x": "x"}, False),
    ],
)
def test_not(operand: object, value: object, expected: bool) -> None:
    assert op("$not", operand, value) is expected


# --- operator objects with several keys ----------------------------------------------------


def test_an_operator_object_with_several_operators_uses_the_first_of_the_schema_order() -> None:
    # The reference parser keeps the first union member that parses: {"$gt": 1}.
    assert op("$gt", 1, 50) is True
    assert event_filter_matches({"v": 50}, {"v": [{"$lt": 5, "$gt": 1}]}) is True
    assert event_filter_matches({"v": 0}, {"v": [{"$lt": 5, "$gt": 1}]}) is False
    # $ignoreCaseEquals comes before $anythingBut in the schema.
    filter = {"v": [{"$anythingBut": "x", "$ignoreCaseEquals": "Y"}]}
    assert event_filter_matches({"v": "y"}, filter) is True
    assert event_filter_matches({"v": "z"}, filter) is False


def test_an_operator_with_a_bad_operand_is_skipped_for_a_valid_sibling() -> None:
    filter = {"v": [{"$gt": "x", "$lt": 5}]}
    validate_event_filter(filter)
    assert event_filter_matches({"v": 4}, filter) is True
    assert event_filter_matches({"v": 6}, filter) is False


def test_unknown_keys_beside_a_known_operator_are_ignored() -> None:
    filter = {"v": [{"$gt": 1, "$regex": "x", "note": 1}]}
    validate_event_filter(filter)
    assert event_filter_matches({"v": 2}, filter) is True
    assert event_filter_matches({"v": 1}, filter) is False


def test_the_evaluator_tolerates_invalid_filters() -> None:
    # Not valid syntax, but evaluation must not raise: unusable parts are skipped.
    assert event_filter_matches({"v": 1}, {"v": "x"}) is True
    assert event_filter_matches({"v": 1}, {"v": None}) is True
    assert event_filter_matches({"v": 1}, {"v": [{"$regex": "x"}]}) is True
    assert event_filter_matches({"v": 1}, {"v": [{"$gt": "0"}]}) is True
    assert event_filter_matches({"v": 1}, {"v": [{"$gt": 5}, "x"]}) is False
    assert event_filter_matches({"v": 1}, {"v": [1, "1"]}) is True


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filter",
    [
        None,
        {},
        {"a": []},
        {"a": ["x", "y"]},
        {"a": [1, 2.5, -3]},
        {"a": [True, False]},
        {"a": {"b": {"c": ["x"]}}, "d": {}},
        {"a": [{"$startsWith": "x"}, {"$endsWith": "y"}, {"$ignoreCaseEquals": "z"}]},
        {"a": [{"$exists": True}, {"$isNull": False}]},
        {"a": [{"$anythingBut": "x"}, {"$anythingBut": 1}, {"$anythingBut": False}]},
        {"a": [{"$anythingBut": ["x", "y"]}, {"$anythingBut": [1, 2]}, {"$anythingBut": []}]},
        {"a": [{"$gt": 1}, {"$gte": 1.5}, {"$lt": -1}, {"$lte": 0}, {"$between": [0, 10]}]},
        {"a": [{"$includes": "x"}, {"$includes": 1}, {"$not": True}, {"$not": "x"}]},
        {"a": [{"$gt": 1, "$lt": 2}]},
        {"$weird key": ["x"], "": {"": [1]}},
    ],
)
def test_valid_filters_pass(filter: object) -> None:
    assert is_valid(filter)
    assert is_valid(json.loads(json.dumps(filter)))


@pytest.mark.parametrize(
    ("filter", "path", "message"),
    [
        ([], "filter", "must be a JSON object, got array"),
        ("x", "filter", "must be a JSON object, got string"),
        (1, "filter", "must be a JSON object, got number"),
        ({"a": "x"}, "filter.a", "nested filter object or an array of matchers, got string"),
        ({"a": 1}, "filter.a", "got number"),
        ({"a": True}, "filter.a", "got boolean"),
        ({"a": None}, "filter.a", "got null"),
        ({"a": {"b": None}}, "filter.a.b", "got null"),
        ({"a": [None]}, "filter.a[0]", "got null"),
        ({"a": ["x", ["y"]]}, "filter.a[1]", "got array"),
        ({"a": [math.nan]}, "filter.a[0]", "non-finite"),
        ({"a": [math.inf]}, "filter.a[0]", "non-finite"),
        ({"a": ["x", 1]}, "filter.a[1]", "must not mix kinds"),
        ({"a": [1, True]}, "filter.a[1]", "must not mix kinds"),
        ({"a": [{"$gt": 1}, "x"]}, "filter.a[1]", "must not mix kinds"),
        ({"a": ["x", {"$gt": 1}]}, "filter.a[1]", "must not mix kinds"),
        ({"a": [{}]}, "filter.a[0]", "needs one of"),
        ({"a": [{"$regex": "x"}]}, "filter.a[0].$regex", "unknown operator '$regex'"),
        ({"a": [{"name": ["x"]}]}, "filter.a[0].name", "unknown operator 'name'"),
        ({"a": [{"$startsWith": 3}]}, "filter.a[0].$startsWith", "expects a string"),
        ({"a": [{"$endsWith": None}]}, "filter.a[0].$endsWith", "expects a string, got null"),
        ({"a": [{"$ignoreCaseEquals": ["x"]}]}, "filter.a[0].$ignoreCaseEquals", "string"),
        ({"a": [{"$exists": "yes"}]}, "filter.a[0].$exists", "expects a boolean"),
        ({"a": [{"$exists": 1}]}, "filter.a[0].$exists", "expects a boolean, got number"),
        ({"a": [{"$isNull": None}]}, "filter.a[0].$isNull", "expects a boolean"),
        ({"a": [{"$gt": "x"}]}, "filter.a[0].$gt", "expects a finite number, got string"),
        ({"a": [{"$gte": True}]}, "filter.a[0].$gte", "got boolean"),
        ({"a": [{"$lt": None}]}, "filter.a[0].$lt", "got null"),
        ({"a": [{"$lte": [1]}]}, "filter.a[0].$lte", "got array"),
        ({"a": [{"$gt": math.inf}]}, "filter.a[0].$gt", "non-finite"),
        ({"a": [{"$between": [1]}]}, "filter.a[0].$between", "[low, high]"),
        ({"a": [{"$between": [1, 2, 3]}]}, "filter.a[0].$between", "[low, high]"),
        ({"a": [{"$between": 1}]}, "filter.a[0].$between", "[low, high]"),
        ({"a": [{"$between": [1, "2"]}]}, "filter.a[0].$between[1]", "finite numbers"),
        ({"a": [{"$between": [False, 2]}]}, "filter.a[0].$between[0]", "got boolean"),
        ({"a": [{"$anythingBut": None}]}, "filter.a[0].$anythingBut", "got null"),
        ({"a": [{"$anythingBut": {"x": 1}}]}, "filter.a[0].$anythingBut", "got object"),
        ({"a": [{"$anythingBut": ["x", 1]}]}, "filter.a[0].$anythingBut[1]", "one kind"),
        ({"a": [{"$anythingBut": [["x"]]}]}, "filter.a[0].$anythingBut[0]", "scalars"),
        ({"a": [{"$includes": ["x"]}]}, "filter.a[0].$includes", "got array"),
        ({"a": [{"$includes": None}]}, "filter.a[0].$includes", "got null"),
        ({"a": [{"$not": {"x": 1}}]}, "filter.a[0].$not", "got object"),
        ({"a": [{"$not": None}]}, "filter.a[0].$not", "got null"),
        ({"a": [{"$gt": "x", "$regex": 1}]}, "filter.a[0].$gt", "expects a finite number"),
        ({"a": [{"$regex": 1, "$lt": "x"}]}, "filter.a[0].$lt", "expects a finite number"),
    ],
)
def test_invalid_filters_are_reported_with_their_path(
    filter: object, path: str, message: str
) -> None:
    error = error_for(filter)
    assert error.path == path
    assert message in str(error)


def test_error_paths_start_from_the_given_root_and_quote_odd_keys() -> None:
    error = error_for({"user": {"age": [{"$gt": "x"}]}}, path="payload")
    assert error.path == "payload.user.age[0].$gt"
    assert error_for({"a.b": {"c d": 1}}, path="context").path == 'context["a.b"]["c d"]'
    assert error_for({'q"': 1}).path == 'filter["q\\""]'
    assert error_for({"content-type": 1}).path == "filter.content-type"


def test_the_first_error_is_reported() -> None:
    error = error_for({"ok": ["x"], "bad": [1, "x"], "worse": None})
    assert error.path == "filter.bad[1]"


def test_non_string_keys_are_refused() -> None:
    assert error_for({1: ["x"]}).path == "filter"
    assert "keys must be strings" in str(error_for({"a": {None: []}}))


def test_nesting_is_limited() -> None:
    deepest: dict[str, object] = {"x": ["y"]}
    for _ in range(MAX_FILTER_DEPTH - 1):
        deepest = {"a": deepest}
    validate_event_filter(deepest)
    assert event_filter_matches(json.loads(json.dumps(deepest).replace('["y"]', '"y"')), deepest)
    too_deep = {"a": deepest}
    error = error_for(too_deep)
    assert error.path == "filter" + ".a" * MAX_FILTER_DEPTH
    assert "nest" in str(error)


def test_event_filter_error_is_a_value_error_that_survives_pickling() -> None:
    error = error_for({"a": [{"$gt": "x"}]})
    assert isinstance(error, ValueError)
    assert error.message == str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.message) == (error.path, error.message)


# --- properties ----------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c"])
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.integers(min_value=-(2**60), max_value=2**60) | finite_floats
scalars = st.text(max_size=4) | numbers | st.booleans()
json_scalars = st.none() | scalars
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=20,
)
payloads = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=25,
)

OPERAND_STRATEGIES: dict[str, st.SearchStrategy[object]] = {
    "$startsWith": st.text(max_size=2),
    "$endsWith": st.text(max_size=2),
    "$ignoreCaseEquals": st.text(max_size=2),
    "$exists": st.booleans(),
    "$isNull": st.booleans(),
    "$anythingBut": scalars
    | st.lists(st.text(max_size=2))
    | st.lists(numbers)
    | st.lists(st.booleans()),
    "$gt": numbers,
    "$lt": numbers,
    "$gte": numbers,
    "$lte": numbers,
    "$between": st.tuples(numbers, numbers).map(list),
    "$includes": scalars,
    "$not": scalars,
}


def single_operator(name: str, operand: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return operand.map(lambda value: {name: value})


operator_objects = st.one_of(
    [single_operator(name, strategy) for name, strategy in OPERAND_STRATEGIES.items()]
)
value_lists = (
    st.lists(st.text(max_size=2), min_size=1, max_size=3)
    | st.lists(numbers, min_size=1, max_size=3)
    | st.lists(st.booleans(), min_size=1, max_size=3)
)
matchers: st.SearchStrategy[Sequence[object]] = (
    st.just([]) | value_lists | st.lists(operator_objects, min_size=1, max_size=3)
)
valid_filters = st.recursive(
    st.dictionaries(KEYS, matchers, max_size=3),
    lambda children: st.dictionaries(KEYS, matchers | children, max_size=3),
    max_leaves=8,
)
random_filter_shapes = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from([*OPERAND_STRATEGIES, "a", "b", "$nope"]) | st.text(max_size=2),
            children,
            max_size=3,
        )
    ),
    max_leaves=15,
)


@given(json_values)
def test_an_empty_filter_matches_any_json_value(payload: object) -> None:
    assert event_filter_matches(payload, {}) is True
    assert event_filter_matches(payload, None) is True


@given(st.dictionaries(st.text(max_size=5), scalars, max_size=6))
def test_a_filter_of_the_payloads_own_values_matches_it(payload: dict[str, object]) -> None:
    filter = {key: [value] for key, value in payload.items()}
    validate_event_filter(filter)
    assert event_filter_matches(payload, filter) is True


@given(st.dictionaries(st.text(max_size=5), scalars, min_size=1, max_size=6), st.data())
def test_changing_one_value_to_another_type_breaks_the_match(
    payload: dict[str, object], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(payload)))
    filter = {k: [v] for k, v in payload.items()}
    changed = dict(payload)
    changed[key] = [payload[key]]  # an array never equals a scalar
    assert event_filter_matches(changed, filter) is False


@given(random_filter_shapes | json_values)
@settings(max_examples=300)
def test_validation_only_ever_raises_event_filter_error(filter: object) -> None:
    try:
        validate_event_filter(filter)
    except EventFilterError as error:
        assert error.path.startswith("filter")
        assert str(error)
    else:
        assert filter is None or isinstance(filter, dict)


@given(valid_filters, payloads)
@settings(max_examples=300)
def test_valid_filters_validate_and_never_raise_on_payloads(
    filter: dict[str, object], payload: object
) -> None:
    validate_event_filter(filter)
    validate_event_filter(json.loads(json.dumps(filter)))
    assert event_filter_matches(payload, filter) in (True, False)


@given(random_filter_shapes, payloads)
def test_the_evaluator_never_raises_even_on_unvalidated_filters(
    filter: object, payload: object
) -> None:
    if isinstance(filter, Mapping):
        assert event_filter_matches(payload, filter) in (True, False)


@given(valid_filters, valid_filters, payloads)
def test_keys_combine_with_and(
    left: dict[str, object], right: dict[str, object], payload: object
) -> None:
    renamed = {f"r{key}": value for key, value in right.items()}
    if isinstance(payload, dict):
        payload = {**payload, **{f"r{key}": value for key, value in payload.items()}}
    expected = event_filter_matches(payload, left) and event_filter_matches(payload, renamed)
    assert event_filter_matches(payload, {**left, **renamed}) is expected


@given(
    st.lists(operator_objects, min_size=1, max_size=3),
    st.lists(operator_objects, min_size=1, max_size=3),
    payloads,
)
def test_operator_objects_in_a_list_combine_with_and(
    first: list[object], second: list[object], payload: object
) -> None:
    combined = event_filter_matches(payload, {"a": first + second})
    expected = event_filter_matches(payload, {"a": first}) and event_filter_matches(
        payload, {"a": second}
    )
    assert combined is expected


@given(value_lists, st.data(), payloads)
def test_plain_values_in_a_list_combine_with_or(
    first: list[object], data: st.DataObject, payload: object
) -> None:
    same_kind: st.SearchStrategy[Sequence[object]] = (
        st.lists(st.text(max_size=2), min_size=1, max_size=3)
        if isinstance(first[0], str)
        else st.lists(st.booleans(), min_size=1, max_size=3)
        if isinstance(first[0], bool)
        else st.lists(numbers, min_size=1, max_size=3)
    )
    second = list(data.draw(same_kind))
    combined = event_filter_matches(payload, {"a": first + second})
    expected = event_filter_matches(payload, {"a": first}) or event_filter_matches(
        payload, {"a": second}
    )
    assert combined is expected


@given(scalars, st.dictionaries(KEYS, json_values, max_size=3))
def test_anything_but_a_scalar_is_the_complement_of_a_one_value_list(
    value: object, payload: dict[str, object]
) -> None:
    listed = event_filter_matches(payload, {"a": [value]})
    assert event_filter_matches(payload, {"a": [{"$anythingBut": value}]}) is not listed
    assert event_filter_matches(payload, {"a": [{"$anythingBut": [value]}]}) is not listed


@given(st.dictionaries(KEYS, json_values, max_size=3))
def test_exists_and_is_null_come_in_complementary_pairs(payload: dict[str, object]) -> None:
    for operator in ("$exists", "$isNull"):
        yes = event_filter_matches(payload, {"a": [{operator: True}]})
        no = event_filter_matches(payload, {"a": [{operator: False}]})
        assert yes is not no
    assert event_filter_matches(payload, {"a": [{"$exists": True}]}) is ("a" in payload)
    assert event_filter_matches(payload, {"a": [{"$isNull": True}]}) is (
        "a" in payload and payload["a"] is None
    )


@given(numbers, numbers, st.dictionaries(KEYS, json_values | numbers, max_size=3))
def test_between_is_gte_and_lte(low: float, high: float, payload: dict[str, object]) -> None:
    expected = event_filter_matches(payload, {"a": [{"$gte": low}, {"$lte": high}]})
    assert event_filter_matches(payload, {"a": [{"$between": [low, high]}]}) is expected


@given(numbers, st.dictionaries(KEYS, json_values | numbers, max_size=3))
def test_gt_and_lte_split_the_numbers(bound: float, payload: dict[str, object]) -> None:
    above = event_filter_matches(payload, {"a": [{"$gt": bound}]})
    at_most = event_filter_matches(payload, {"a": [{"$lte": bound}]})
    value = payload.get("a")
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    assert (above or at_most) is is_number
    assert not (above and at_most)


@given(scalars, st.dictionaries(KEYS, scalars | st.lists(scalars, max_size=3), max_size=3))
def test_not_is_the_negation_of_equality_or_inclusion(
    value: object, payload: dict[str, object]
) -> None:
    result = event_filter_matches(payload, {"a": [{"$not": value}]})
    if "a" not in payload:
        assert result is False
    elif isinstance(payload["a"], list):
        assert result is not event_filter_matches(payload, {"a": [{"$includes": value}]})
    else:
        assert result is not event_filter_matches(payload, {"a": [value]})


@given(valid_filters, st.lists(payloads, max_size=4))
def test_a_nested_filter_on_an_array_is_an_any_over_its_elements(
    nested: dict[str, object], elements: list[object]
) -> None:
    expected = any(event_filter_matches(element, nested) for element in elements)
    assert event_filter_matches({"a": elements}, {"a": nested}) is expected
