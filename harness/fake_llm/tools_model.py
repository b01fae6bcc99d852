"""A model for any tools: which offered tool fits the conversation, and with what input.

Relevance is the overlap between the user's words and each tool's name (weight 2),
description and parameter names and descriptions (weight 1), plus 1 for every parameter the
conversation gives a value for (an id, a date, a number next to the parameter's word, a
place after from/to/in, a quoted string, an enum value it names). The input is those values
laid over a schema-valid value generated for the tool (`schema_values.conform`), so it
always validates against `input_schema`. A required identifier (an `*_id`, an email, a
uuid) the conversation does not give is asked for rather than invented.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema

from harness.fake_llm.mentions import Mentions, mentions, stem, words
from harness.fake_llm.schema_values import coerced, conform, strict_validator

FREE_TEXT = frozenset({"query", "q", "text", "question", "search", "prompt", "message", "topic",
                       "keyword", "term", "input", "request", "content", "body"})
ORIGIN = frozenset({"origin", "from", "source", "departure", "depart", "start"})
DESTINATION = frozenset({"destination", "to", "arrival", "arrive", "dest", "target"})
PLACE = frozenset({"city", "location", "place", "where", "address", "region", "area", "town"})
CLAUSE = re.compile(r"\s*(?:;|\n|\band\b|\balso\b|\bthen\b|(?<=[.?!])\s)\s*", re.IGNORECASE)
EXAMPLE = re.compile(r"\be\.g\.,?\s*([^\s),;]+)")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    schema: dict[str, Any]
    words: frozenset[str]
    required: bool
    check: jsonschema.protocols.Validator

    @property
    def identifier(self) -> bool:
        fmt = self.schema.get("format")
        parts = re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", self.name)
        return fmt in ("email", "uuid") or parts[-1].lower() in ("id", "email", "uuid")


@dataclass(frozen=True, slots=True)
class Profile:
    """A tool as the model reads it; built once per distinct definition."""

    name: str
    schema: dict[str, Any]
    name_words: frozenset[str]
    other_words: frozenset[str]
    params: tuple[Param, ...]
    description: str
    server: str | None  # the server tool type ("web_search_20250305"), else None
    # found_values per text: the planner asks several times for the same text
    found: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)


def _param_words(name: str, sub: dict[str, Any]) -> frozenset[str]:
    return words(name)


@lru_cache(maxsize=1024)
def _profile(canonical: str) -> Profile:
    tool = json.loads(canonical)
    name = str(tool.get("name", ""))
    kind = tool.get("type")
    server = kind if isinstance(kind, str) and kind != "custom" else None
    schema = tool.get("input_schema") if isinstance(tool.get("input_schema"), dict) else None
    if server and server.startswith("web_search"):
        schema = {"type": "object", "properties": {"query": {"type": "string"}},
                  "required": ["query"]}
    schema = schema or {"type": "object", "properties": {}}
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or [])
    params = tuple(
        Param(p, sub if isinstance(sub, dict) else {}, _param_words(p, sub), p in required,
              strict_validator(sub if isinstance(sub, dict) else {}))
        for p, sub in props.items()
    )
    description = str(tool.get("description", ""))
    if server and server.startswith("web_search"):
        description = "Search the web for current information: news, latest, today, online."
    other = set(words(description))
    for p in params:
        other |= p.words
        other |= words(str(p.schema.get("description", "")))
        other |= {stem(str(v)) for v in p.schema.get("enum") or [] if isinstance(v, str)}
    return Profile(name, schema, words(name), frozenset(other), params, description, server)


def profile(tool: dict[str, Any]) -> Profile:
    return _profile(json.dumps(tool, sort_keys=True, default=str))


def relevance(p: Profile, said: frozenset[str], found: dict[str, Any]) -> int:
    return 2 * len(p.name_words & said) + len(p.other_words & said) + len(found)


# -- values from the conversation -------------------------------------------------------
def _related_id(param: Param, ids: tuple[str, ...]) -> str | None:
    """An id whose prefix is the start of one of the parameter's words (ORD-1 for order_id)."""
    for value in ids:
        prefix = re.split(r"[-_]", value, maxsplit=1)[0].lower()
        if any(w.startswith(prefix) or prefix.startswith(w) for w in param.words if w != "id"):
            return value
    return None


def _number_for(param: Param, m: Mentions) -> str | None:
    for before, number, after in m.numbers:
        if {stem(before), stem(after)} & param.words:
            return number
    return None


def _dictated(param: Param, text: str) -> str | None:
    """`name: value`, `name = value`, `name "value"` written in the text."""
    label = re.escape(param.name).replace("_", "[_ ]")
    found = re.search(
        rf"\b{label}\b[\"']?\s*(?:[:=]\s*[\"']?([^\"',;\n]+)|[\"']([^\"'\n]+)[\"'])",
        text, re.IGNORECASE,
    )
    return (found.group(1) or found.group(2)).strip() if found else None


def found_values(p: Profile, m: Mentions) -> dict[str, Any]:
    """Per parameter, the value the conversation gives for it (only where it gives one)."""
    cached = p.found.get(m.text)
    if cached is None:
        if len(p.found) > 256:
            p.found.clear()
        cached = p.found[m.text] = _found_values(p, m)
    return dict(cached)


def _found_values(p: Profile, m: Mentions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    taken: set[str] = set()
    dates = [d for d in m.dates if d not in taken]
    for param in p.params:
        fitted = None
        for value in (_dictated(param, m.text), _value_for(param, m, dates, taken)):
            if value is not None:
                fitted = coerced(param.check, value) if param.schema else value
            if fitted is not None:
                break
        if fitted is None or value is None:
            continue
        out[param.name] = fitted
        if isinstance(value, str):
            taken.add(value)
            if value in dates:
                dates.remove(value)
    return out


def _value_for(param: Param, m: Mentions, dates: list[str], taken: set[str]) -> Any | None:
    sub, pw = param.schema, param.words
    fmt = sub.get("format")
    if fmt == "date" or (fmt is None and "date" in pw and sub.get("type") == "string"):
        return dates[0] if dates else None
    if fmt == "email" or param.name.lower() == "email":
        return m.emails[0] if m.emails else None
    if fmt in ("uri", "url") or "url" in pw:
        return m.urls[0] if m.urls else None
    if enum := sub.get("enum"):
        lowered = m.text.lower()
        for option in enum:
            if isinstance(option, str) and re.search(rf"\b{re.escape(option.lower())}\b", lowered):
                return option
        return None
    if param.identifier:
        if value := _related_id(param, m.ids):
            return value
        if value := _number_for(param, m):
            return value
        free = [i for i in m.ids if i not in taken]
        return free[0] if len(free) == 1 else None
    if sub.get("type") in ("integer", "number"):
        return _number_for(param, m)
    if pw & ORIGIN:
        return next((n for prep, n in m.places if prep == "from" and n not in taken), None)
    if pw & DESTINATION:
        return next((n for prep, n in m.places if prep in ("to", "into") and n not in taken),
                    None)
    if pw & PLACE:
        for prep, name in m.places:
            if prep in ("in", "at", "near", "for") and name not in taken:
                return name
        return next((n for n in m.propers if n not in taken), None)
    if pw & FREE_TEXT and sub.get("type", "string") == "string":
        return m.quoted[0] if m.quoted else m.text.strip()[:200]
    return None


# -- planning -------------------------------------------------------------------------------
@dataclass(slots=True)
class Planned:
    """A tool the user's request needs, with the input the model will send, or the question
    it asks instead when a required identifier is missing."""

    profile: Profile
    input: dict[str, Any]
    score: int
    ask: str | None = None


def clauses(text: str) -> list[str]:
    parts = [c for c in CLAUSE.split(text) if c and c.strip()]
    return parts or [text]


def _ask(p: Profile, missing: Param) -> str:
    label = missing.name.replace("_", " ")
    example = EXAMPLE.search(str(missing.schema.get("description", ""))) or EXAMPLE.search(
        p.description
    )
    hint = f" (e.g. {example.group(1)})" if example else ""
    return f"Could you give me the {label}{hint}?"


def build(p: Profile, m: Mentions, seed: int, *, forced: bool = False,
          found: dict[str, Any] | None = None) -> Planned:
    """The call of tool `p` for mentions `m`: found values over a generated valid input."""
    values = found if found is not None else found_values(p, m)
    score = 0
    if not forced:
        for param in p.params:
            if param.required and param.identifier and param.name not in values:
                return Planned(p, {}, 0, ask=_ask(p, param))
    try:
        args = conform(p.schema, values, seed, p.name)
    except ValueError:
        args = dict(values)
    return Planned(p, args, score)


def best_tool(profiles: list[Profile], text: str, threshold: int) -> tuple[Profile, int] | None:
    said, m = words(text), mentions(text)
    best: tuple[Profile, int] | None = None
    for p in profiles:
        score = relevance(p, said, found_values(p, m))
        if best is None or score > best[1]:
            best = (p, score)
    if best is None or best[1] < threshold:
        return None
    return best


def plan(profiles: list[Profile], text: str, seed: int, threshold: int) -> list[Planned]:
    """Every call the request needs: the best tool for each clause ("the weather in Paris and
    flights to Rome" -> two calls), each with values from its clause, then from the whole
    text. Duplicate calls are merged."""
    whole = mentions(text)
    out: list[Planned] = []
    seen: set[str] = set()
    for clause in clauses(text):
        picked = best_tool(profiles, clause, max(threshold, 1))
        if picked is None:
            continue
        p, score = picked
        local = found_values(p, mentions(clause))
        extra = {k: v for k, v in found_values(p, whole).items() if k not in local}
        call = build(p, mentions(clause), seed, found={**extra, **local})
        call.score = score
        key = p.name + json.dumps(call.input, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(call)
    if not out and (picked := best_tool(profiles, text, threshold)) is not None:
        call = build(picked[0], whole, seed)
        call.score = picked[1]
        out.append(call)
    return out


def threshold(eagerness: float) -> int | None:
    """The relevance a tool needs to be called under tool_choice auto; None = never."""
    if eagerness <= 0:
        return None
    if eagerness >= 1:
        return 0
    return max(1, -(-round((1 - eagerness) * 4) // 2))


__all__ = ["Planned", "Profile", "best_tool", "build", "clauses", "found_values", "plan",
           "profile", "relevance", "threshold"]
