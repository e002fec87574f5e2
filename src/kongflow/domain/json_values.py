"""Which JSON values PostgreSQL can store, checked before they reach a query.

Python's ``json`` module accepts more than PostgreSQL's ``jsonb`` and ``text`` do:
``NaN`` and ``Infinity``, the ``\\u0000`` escape, and lone UTF-16 surrogates
(``"\\ud800"``). Any of them inside a task's params, output or a callback body would
make the insert fail, so routes check untrusted JSON with :func:`jsonb_problem` and
answer a clear 4xx instead of a 500.
"""

import math
import re
from typing import Any

_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why PostgreSQL text cannot hold ``value`` (a NUL or a lone surrogate), or None."""
    found = _UNSTORABLE_CHARACTER.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000)"
    return "contains an unpaired UTF-16 surrogate"


def jsonb_problem(value: Any) -> str | None:
    """Why ``value`` (as parsed by ``json.loads``) cannot be stored as ``jsonb``, or None.

    The answer names where the problem is, e.g. ``"$.items[2]: contains a NUL
    character (\\u0000)"``. Walks iteratively, so deep nesting cannot overflow the stack.
    """
    pending: list[tuple[str, Any]] = [("$", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                return f"{path}: {problem}"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{path}: {item} is not a JSON number"
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"{path}: object keys must be strings"
                problem = text_problem(key)
                if problem is not None:
                    return f"{path}: a key {problem}"
                pending.append((f"{path}.{key}", child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
    return None
