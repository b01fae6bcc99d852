"""`GET /v1/models` and `GET /v1/models/{id}`: the served models as the SDK's `ModelInfo`,
paged the way its `SyncPage` follows (`data`, `has_more`, `first_id`, `last_id`, cursors
`before_id` / `after_id`, `limit` 1-1000, default 20), filtered by `lifecycle`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from harness.fake_llm.errors import APIError, invalid
from harness.fake_llm.pricing import CATALOGUE, RETIRED, ModelInfo

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
LIFECYCLES = ("active", "deprecated", "retired")
_BY_ID: dict[str, ModelInfo] = {}
for _m in CATALOGUE:
    _BY_ID[_m.id] = _m
    if _m.dated_id:
        _BY_ID[_m.dated_id] = _m


def listed_id(model: ModelInfo) -> str:
    """The id the API lists: the dated snapshot where an alias pins one."""
    return model.dated_id or model.id


def model_json(model: ModelInfo) -> dict[str, Any]:
    return {
        "type": "model",
        "id": listed_id(model),
        "display_name": model.display_name,
        "created_at": model.created_at,
        "lifecycle": model.lifecycle,
        "deprecated_at": model.deprecated_at,
        "retires_at": model.retires_at,
        "line": model.family,
        "max_input_tokens": model.max_input,
        "max_tokens": model.max_output,
        "capabilities": None,  # not modelled (see README)
    }


def retrieve(model_id: str) -> dict[str, Any]:
    model = _BY_ID.get(model_id)
    if model is None:
        raise APIError(404, f"model: {model_id}")
    return model_json(model)


def list_page(query: bytes) -> dict[str, Any]:
    params = parse_qs(query.decode("latin-1"), keep_blank_values=True)
    limit = _limit(params.get("limit", [str(DEFAULT_LIMIT)])[-1])
    lifecycle = params.get("lifecycle[]", []) + params.get("lifecycle", [])
    for stage in lifecycle:
        if stage not in LIFECYCLES:
            raise invalid("lifecycle: Input should be 'active', 'deprecated' or 'retired'")
    stages = set(lifecycle) or {"active", "deprecated"}
    models = [m for m in CATALOGUE if m.lifecycle in stages]
    ids = [listed_id(m) for m in models]
    before = params.get("before_id", [None])[-1]
    after = params.get("after_id", [None])[-1]
    if before is not None:
        end = _position(ids, before)
        start = max(0, end - limit)
        page, has_more = models[start:end], start > 0
    else:
        start = _position(ids, after) + 1 if after is not None else 0
        page, has_more = models[start : start + limit], start + limit < len(models)
    data = [model_json(m) for m in page]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def _limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        raise invalid("limit: Input should be a valid integer") from None
    if limit < 1:
        raise invalid("limit: Input should be greater than or equal to 1")
    if limit > MAX_LIMIT:
        raise invalid(f"limit: Input should be less than or equal to {MAX_LIMIT}")
    return limit


def _position(ids: list[str], cursor: str) -> int:
    if cursor in ids:
        return ids.index(cursor)
    model = _BY_ID.get(cursor)
    if model is not None and listed_id(model) in ids:
        return ids.index(listed_id(model))
    raise invalid(f"Invalid cursor: {cursor}")


__all__ = ["RETIRED", "list_page", "model_json", "retrieve"]
