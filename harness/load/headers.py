"""The record's reply headers from geventhttpclient's `Headers`, Locust's FastHttpUser type.

Its `get` goes through two Python-level methods per name; the record reads five names per
request in the load generator, whose CPU caps the load. `Headers` is a dict of lower-case
name -> (name, value), or a list of those for a repeated field; `read_header_values` reads
that storage directly, hands anything else to the general `header_values`, and is only
used when a self-check at import finds that layout.
"""

from __future__ import annotations

from typing import Any

from geventhttpclient.header import Headers

from harness.load.recorder import HEADERS, header_values

_dict_get = dict.get
_RID, _CALLS, _COST, _DEGRADED, _MODEL = HEADERS


def _fast_header_values(headers: Any) -> tuple[Any, ...]:
    if type(headers) is not Headers:
        return header_values(headers)
    get = _dict_get
    a, b, c, d, e = (
        get(headers, _RID), get(headers, _CALLS), get(headers, _COST), get(headers, _DEGRADED),
        get(headers, _MODEL),
    )  # fmt: skip
    if list in (type(a), type(b), type(c), type(d), type(e)):
        return header_values(headers)
    return (a and a[1], b and b[1], c and c[1], d and d[1], e and e[1])  # entry or None


def _headers_layout_known() -> bool:
    repeated = Headers({"X-Model": "m", "x-cost-usd": "1", "x-llm-calls": ["1", "2"]})
    single = Headers({"X-Request-Id": "r"})
    return _fast_header_values(repeated) == header_values(repeated) and _fast_header_values(
        single
    ) == ("r", None, None, None, None) == header_values(single)


# `header_values(headers)`, fast for geventhttpclient's `Headers`
read_header_values = _fast_header_values if _headers_layout_known() else header_values
