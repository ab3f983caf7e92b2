"""JSON for the tests of the clients of outside services (token sources, prices): any answer a
service could send, a real answer with one field changed, and the check that what a client
returns is exact JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
"""Any JSON document, small: what a broken or changed service might answer."""


def changed(document: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The document with one of its fields replaced by anything."""
    return st.builds(
        lambda key, value: {**document, key: value}, st.sampled_from(list(document)), JSON
    )


def assert_exact_json(value: Any) -> None:
    """JSON-serialisable, and no float anywhere: amounts are exact strings."""
    assert json.loads(json.dumps(value, allow_nan=False)) == value
    assert not isinstance(value, float)
    for item in value.values() if isinstance(value, dict) else value:
        if isinstance(item, dict | list):
            assert_exact_json(item)
        else:
            assert not isinstance(item, float)
