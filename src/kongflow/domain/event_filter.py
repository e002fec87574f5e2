"""trigger.dev's event filter language: checking a filter, and matching data against it.

Event dispatchers carry a ``payloadFilter`` and a ``contextFilter`` written in this
language (an SDK's ``rule.payload`` / ``rule.context``, an ``io.waitForEvent`` filter).
The server needs it twice: when a job is registered, the filter is checked
(:func:`validate_event_filter`), and when an event is delivered, each dispatcher's filter
is evaluated against the event (:func:`event_filter_matches`). Both are pure functions of
JSON values, with no I/O and no dependency on the database or the web layer, so they
live in ``domain`` where the protocol models and the delivery service can both use them.

The grammar is ``EventFilterSchema`` and the evaluator ``eventFilterMatches`` of
``@trigger.dev/core`` 2.3.x (spec: ``platform.md`` §4.6). A filter is a JSON object;
each key names a property and maps to either a nested filter or a list of matchers::

    {"status": ["open", "reopened"],           # OR over plain values
     "size": [{"$gt": 10}, {"$lt": 100}],      # AND over operator objects
     "labels": {"name": ["bug"]}}              # nested: any element of an array may match

Where the reference's behaviour comes from JavaScript rather than from the language,
kongflow follows what the reference *server* does:

* The server only ever evaluates the output of the zod parse, and zod keeps, from an
  operator object with several keys, the first operator of the schema's union whose
  operand is valid and drops the rest (``{"$gt": 1, "$lt": 5}`` is stored as
  ``{"$gt": 1}``). Validation therefore accepts such objects, and the evaluator picks the
  same single operator, so storing the raw filter gives the reference's results.
* Equality is JavaScript's ``===`` on JSON values: ``1 != "1"``, ``True != 1``, numbers
  compare as IEEE doubles, an array or object never equals a scalar.
* Properties are read only from JSON objects. JavaScript would also find ``length`` on
  strings and arrays and prototype members such as ``constructor`` on every object;
  here those are simply missing.
* ``$ignoreCaseEquals`` uses ``localeCompare`` with ``sensitivity: "accent"`` (ICU
  collation at secondary strength) in the reference. Here it is approximated by
  comparing NFKC-normalised, lower-cased strings without ignorable characters: case,
  width and compatibility forms are ignored, accents are not (see ``_fold``).
* Nested filters may be at most :data:`MAX_FILTER_DEPTH` objects deep, so that
  evaluation's recursion stays far from Python's limit.
"""

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Final, TypeGuard

__all__ = [
    "MAX_FILTER_DEPTH",
    "EventFilterError",
    "event_filter_matches",
    "validate_event_filter",
]

MAX_FILTER_DEPTH: Final = 100
"""How many filter objects deep a filter may nest (the top-level object counts as one)."""


class EventFilterError(ValueError):
    """A filter that is not valid in the event filter language.

    ``path`` locates the offending part, starting from the ``path`` given to
    :func:`validate_event_filter` (``payload.user.age[0].$gt``); ``str(error)`` is the
    message alone.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __reduce__(self) -> tuple[type["EventFilterError"], tuple[str, str]]:
        return (type(self), (self.path, self.message))


class _Missing:
    """JavaScript's ``undefined``: the value of a property that is not there."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()

# The operators in the order of the zod union in ``EventFilterSchema``: when an object
# holds several, the first one whose operand is valid is the one that counts.
_OPERATORS: Final = (
    "$endsWith",
    "$startsWith",
    "$ignoreCaseEquals",
    "$exists",
    "$isNull",
    "$anythingBut",
    "$gt",
    "$lt",
    "$gte",
    "$lte",
    "$between",
    "$includes",
    "$not",
)
_OPERATOR_LIST: Final = ", ".join(_OPERATORS)
_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_$-]+")
# What ``str.lower`` leaves apart but ICU's secondary strength does not: the final sigma
# (U+03C2, folded to U+03C3), and katakana versus hiragana.
_CASE_EXTRAS: Final = {0x03C2: "\u03c3"} | {
    code: chr(code - 0x60) for code in range(0x30A1, 0x30F7)
}


# --- validation ---------------------------------------------------------------------------


def validate_event_filter(filter: object, *, path: str = "filter") -> None:
    """Raise :class:`EventFilterError` unless ``filter`` is a valid event filter.

    ``None`` (no filter) is valid. Otherwise the filter must be a JSON object whose
    values are nested filters or matcher lists; a matcher list holds only strings, only
    numbers, only booleans, or only operator objects, and each operator object must
    contain at least one known operator with a well-typed operand (keys beside it are
    ignored, as the reference's parser drops them). ``path`` names the filter in the
    error's ``path``, e.g. ``"payload"`` for a dispatcher's payload filter.
    """
    if filter is None:
        return
    _validate_filter(filter, path, 1)


def _validate_filter(value: object, path: str, depth: int) -> None:
    if not isinstance(value, Mapping):
        raise EventFilterError(path, f"an event filter must be a JSON object, got {_kind(value)}")
    if depth > MAX_FILTER_DEPTH:
        raise EventFilterError(path, f"filters may nest at most {MAX_FILTER_DEPTH} objects deep")
    for key, pattern in value.items():
        if not isinstance(key, str):
            raise EventFilterError(path, f"filter keys must be strings, got {key!r}")
        key_path = _child(path, key)
        if isinstance(pattern, Mapping):
            _validate_filter(pattern, key_path, depth + 1)
        elif _is_array(pattern):
            _validate_matchers(pattern, key_path)
        else:
            raise EventFilterError(
                key_path,
                f"expected a nested filter object or an array of matchers, got {_kind(pattern)}",
            )


def _validate_matchers(matchers: Sequence[object], path: str) -> None:
    first_kind: str | None = None
    for index, item in enumerate(matchers):
        item_path = f"{path}[{index}]"
        kind = _scalar_kind(item) or ("operator object" if isinstance(item, Mapping) else None)
        if kind is None:
            raise EventFilterError(
                item_path,
                "a matcher must be a string, a finite number, a boolean or an operator "
                f"object, got {_kind(item)}",
            )
        if first_kind is None:
            first_kind = kind
        elif kind != first_kind:
            raise EventFilterError(
                item_path,
                f"a matcher list must not mix kinds: found a {kind} after a {first_kind}; use "
                "only strings, only numbers, only booleans or only operator objects",
            )
        if isinstance(item, Mapping):
            _validate_operator_object(item, item_path)


def _validate_operator_object(matcher: Mapping[str, object], path: str) -> None:
    if _select_operator(matcher) is not None:
        return
    for key, operand in matcher.items():
        if key in _OPERATORS:
            problem = _operand_problem(str(key), operand)
            if problem is not None:
                suffix, message = problem
                raise EventFilterError(f"{_child(path, str(key))}{suffix}", message)
    if not matcher:
        raise EventFilterError(path, f"an operator object needs one of {_OPERATOR_LIST}")
    key = next(iter(matcher))
    raise EventFilterError(
        _child(path, str(key)), f"unknown operator {key!r}; expected one of {_OPERATOR_LIST}"
    )


def _operand_problem(operator: str, operand: object) -> tuple[str, str] | None:
    """Why ``operand`` does not suit ``operator``: (path suffix, message), or ``None``."""
    got = _kind(operand)
    if operator in ("$endsWith", "$startsWith", "$ignoreCaseEquals"):
        if isinstance(operand, str):
            return None
        return "", f"{operator} expects a string, got {got}"
    if operator in ("$exists", "$isNull"):
        if isinstance(operand, bool):
            return None
        return "", f"{operator} expects a boolean, got {got}"
    if operator in ("$gt", "$lt", "$gte", "$lte"):
        if _is_finite_number(operand):
            return None
        return "", f"{operator} expects a finite number, got {got}"
    if operator == "$between":
        if not _is_array(operand) or len(operand) != 2:
            return "", f"$between expects [low, high], two numbers, got {got}"
        for index, bound in enumerate(operand):
            if not _is_finite_number(bound):
                return f"[{index}]", f"$between bounds must be finite numbers, got {_kind(bound)}"
        return None
    if operator in ("$includes", "$not"):
        if _scalar_kind(operand) is not None:
            return None
        return "", f"{operator} expects a string, number or boolean, got {got}"
    # $anythingBut: one scalar, or an array of scalars all of one kind.
    if _scalar_kind(operand) is not None:
        return None
    if not _is_array(operand):
        return "", f"$anythingBut expects a string, number, boolean or an array of them, got {got}"
    first_kind: str | None = None
    for index, item in enumerate(operand):
        kind = _scalar_kind(item)
        if kind is None:
            return f"[{index}]", f"$anythingBut values must be scalars, got {_kind(item)}"
        if first_kind is None:
            first_kind = kind
        elif kind != first_kind:
            return (
                f"[{index}]",
                f"$anythingBut values must all be of one kind, got a {kind} after a {first_kind}",
            )
    return None


# --- evaluation ---------------------------------------------------------------------------


def event_filter_matches(payload: object, filter: Mapping[str, object] | None) -> bool:
    """Whether the JSON value ``payload`` satisfies ``filter``.

    ``None`` and ``{}`` match everything, including a ``null`` payload; any other filter
    never matches a ``null`` payload. Never raises for JSON payloads. The filter should
    have passed :func:`validate_event_filter` (the reference treats a filter that does
    not parse as matching nothing); on an invalid filter the answer is deterministic but
    unspecified.
    """
    if filter is None:
        return True
    return _matches(payload, filter)


def _matches(value: object, filter: Mapping[str, object]) -> bool:
    if value is None or value is _MISSING:
        return len(filter) == 0
    for key, pattern in filter.items():
        actual = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
        if _is_array(pattern):
            if not _matchers_match(actual, pattern):
                return False
        elif isinstance(pattern, Mapping):
            if _is_array(actual):
                if not any(_matches(item, pattern) for item in actual):
                    return False
            elif not _matches(actual, pattern):
                return False
        # Anything else is not valid filter syntax; the reference evaluator skips it.
    return True


def _matchers_match(actual: object, matchers: Sequence[object]) -> bool:
    if not matchers:
        return True
    if (
        all(isinstance(item, str) for item in matchers)
        or all(_is_number(item) for item in matchers)
        or all(isinstance(item, bool) for item in matchers)
    ):
        return any(_same_value_zero(actual, item) for item in matchers)
    # Operator objects, all of which must hold; other items (invalid) are skipped.
    return all(_operator_holds(actual, item) for item in matchers if isinstance(item, Mapping))


def _select_operator(matcher: Mapping[str, object]) -> tuple[str, object] | None:
    for operator in _OPERATORS:
        if operator in matcher:
            operand = matcher[operator]
            if _operand_problem(operator, operand) is None:
                return operator, operand
    return None


def _operator_holds(actual: object, matcher: Mapping[str, object]) -> bool:
    selected = _select_operator(matcher)
    if selected is None:
        return True  # no usable operator: the reference evaluator lets it pass
    operator, operand = selected
    if operator in ("$endsWith", "$startsWith", "$ignoreCaseEquals"):
        if not isinstance(actual, str) or not isinstance(operand, str):
            return False
        if operator == "$endsWith":
            return _utf16(actual).endswith(_utf16(operand))
        if operator == "$startsWith":
            return _utf16(actual).startswith(_utf16(operand))
        return _fold(actual) == _fold(operand)
    if operator == "$exists":
        return (actual is not _MISSING) is operand
    if operator == "$isNull":
        return (actual is None) is operand
    if operator == "$anythingBut":
        if _is_array(operand) and any(_same_value_zero(actual, item) for item in operand):
            return False
        return not _strict_equals(actual, operand)
    if operator in ("$gt", "$lt", "$gte", "$lte", "$between"):
        if not _is_number(actual):
            return False
        number = _double(actual)
        if operator == "$between":
            assert _is_array(operand)
            low, high = (_double(bound) for bound in operand)
            return low <= number <= high
        assert _is_number(operand)
        bound = _double(operand)
        if operator == "$gt":
            return number > bound
        if operator == "$lt":
            return number < bound
        if operator == "$gte":
            return number >= bound
        return number <= bound
    if operator == "$includes":
        return _is_array(actual) and any(_same_value_zero(item, operand) for item in actual)
    # $not
    if _is_array(actual):
        return not any(_same_value_zero(item, operand) for item in actual)
    if _scalar_kind(actual) is not None or _is_number(actual):
        return not _strict_equals(actual, operand)
    return False


# --- JSON values, JavaScript style ----------------------------------------------------------


def _is_array(value: object) -> TypeGuard[Sequence[object]]:
    return isinstance(value, list | tuple)


def _is_number(value: object) -> TypeGuard[int | float]:
    """``typeof value === "number"``: Python's ``bool`` is an ``int`` but not a number here."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite_number(value: object) -> bool:
    return _is_number(value) and math.isfinite(_double(value))


def _scalar_kind(value: object) -> str | None:
    """The kind of a value allowed in a matcher list or as a scalar operand, else ``None``."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if _is_finite_number(value):
        return "number"
    return None


def _double(value: object) -> float:
    """A JSON number as JavaScript holds it: an IEEE double (huge integers become ±inf)."""
    if isinstance(value, float):
        return value
    assert isinstance(value, int)
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _strict_equals(left: object, right: object) -> bool:
    """JavaScript's ``left === right`` for JSON values (objects and arrays by identity)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if _is_number(left) and _is_number(right):
        return _double(left) == _double(right)
    return left is right


def _same_value_zero(left: object, right: object) -> bool:
    """``Array.prototype.includes`` equality: ``===``, except that NaN equals NaN."""
    if _is_number(left) and _is_number(right):
        a, b = _double(left), _double(right)
        return a == b or (math.isnan(a) and math.isnan(b))
    return _strict_equals(left, right)


def _utf16(text: str) -> bytes:
    """JavaScript strings are UTF-16 code units; prefix and suffix tests work on those."""
    return text.encode("utf-16-le", "surrogatepass")


def _fold(text: str) -> str:
    """Approximate ICU collation at secondary strength (``sensitivity: "accent"``).

    Ignorable characters go, compatibility forms (width, ligatures) are unified, case is
    dropped and hiragana equals katakana; accents still count. Checked against Node's
    ``localeCompare`` on case, width and normalisation variants of the BMP: it agrees
    except for a few compatibility spacing marks and archaic letters.
    """
    kept = "".join(char for char in text if not _ignorable(char))
    folded = unicodedata.normalize("NFKC", kept).lower().translate(_CASE_EXTRAS)
    return unicodedata.normalize("NFKC", folded)


def _ignorable(char: str) -> bool:
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and char not in "\t\n\v\f\r\x85")


def _child(path: str, key: str) -> str:
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def _kind(value: object) -> str:
    """A JSON-ish name for the type of ``value``, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if _is_number(value):
        return "number" if math.isfinite(_double(value)) else f"non-finite number {value!r}"
    if isinstance(value, Mapping):
        return "object"
    if _is_array(value):
        return "array"
    return type(value).__name__
