"""Scenario keys of the user's own traffic: `load.prompts`, `load.sessions`, and the user's
attack corpus (`load.attacks.corpus`, `load.attacks.builtin`).

Each of the three is a file (path relative to the scenario file; read by
`traffic_files.resolve_traffic` when the scenario loads) or the entries inline. Checks that
span entries (unknown tenants, duplicate session names, a tenant left with nothing to send)
are functions over plain data, so the loader can run them on inline entries (positions in the
scenario) and on a file's entries (positions in that file) alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from harness.load.attacks import Corpus
from harness.load.scripts import DEFAULT_TASK, RESERVED_TASKS
from harness.scenario.types import Duration, StrictModel

Issue = tuple[tuple[Any, ...], str]


def _not_reserved(value: str) -> str:
    if value in RESERVED_TASKS:
        raise ValueError(f"{value!r} is reserved: it is the task of injected attacks")
    return value


def _text_alone(value: Any) -> Any:
    """A bare string entry is its text."""
    return {"text": value} if isinstance(value, str) else value


class PromptSpec(StrictModel):
    """One prompt (a bare string is its `text`)."""

    text: str = Field(min_length=1)
    task: str = Field(default=DEFAULT_TASK, min_length=1, max_length=80)
    tenant: str | None = None  # only users of this tenant send it
    weight: float = Field(default=1.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _bare_text(cls, value: Any) -> Any:
        return _text_alone(value)

    @field_validator("task")
    @classmethod
    def _task_not_reserved(cls, value: str) -> str:
        return _not_reserved(value)


class TurnSpec(StrictModel):
    """One turn of a session (a bare string is its `text`)."""

    text: str = Field(min_length=1)
    think: Duration | None = None  # pause before this turn; default load.think_time

    @model_validator(mode="before")
    @classmethod
    def _bare_text(cls, value: Any) -> Any:
        return _text_alone(value)


class SessionSpec(StrictModel):
    """A multi-turn conversation script, sent in order under one session id."""

    name: str = Field(min_length=1, max_length=80)  # the records' `task` of its turns
    weight: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    tenant: str | None = None
    turns: list[TurnSpec] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name_not_reserved(cls, value: str) -> str:
        return _not_reserved(value)

    @field_validator("turns")
    @classmethod
    def _no_pause_before_the_first(cls, turns: list[TurnSpec]) -> list[TurnSpec]:
        if turns and turns[0].think is not None:
            raise ValueError("the first turn takes no `think`: the pause before a session "
                             "is load.think_time")
        return turns


def _file_or_list(what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None and not isinstance(value, str | list):
            raise ValueError(f"expected a file name (relative to the scenario file) or a list "
                             f"of {what}; got {type(value).__name__}")
        return value

    return check


def _kind(value: Any) -> str:
    return "file" if isinstance(value, str) else "list"


FileName = str  # checked when read (harness/scenario/traffic_files.py)
Prompts = Annotated[
    Annotated[FileName, Tag("file")] | Annotated[list[PromptSpec], Tag("list")],
    Discriminator(_kind),
    BeforeValidator(_file_or_list("prompts")),
]
Sessions = Annotated[
    Annotated[FileName, Tag("file")] | Annotated[list[SessionSpec], Tag("list")],
    Discriminator(_kind),
    BeforeValidator(_file_or_list("sessions")),
]
CorpusRef = Annotated[
    Annotated[FileName, Tag("file")] | Annotated[Corpus, Tag("inline")],
    Discriminator(lambda v: "file" if isinstance(v, str) else "inline"),
]
SPECS: dict[str, type[StrictModel]] = {"prompts": PromptSpec, "sessions": SessionSpec}


# --- checks over entries (plain data) --------------------------------------------------------


def entry_issues(key: str, entries: Any, tenants: Iterable[str]) -> list[Issue]:
    """Problems across the entries of `load.prompts` or `load.sessions`, at paths relative
    to the list: a tenant not in load.tenants, a session name used twice."""
    if not isinstance(entries, list):
        return []
    known = list(tenants)
    issues: list[Issue] = []
    for i, entry in enumerate(entries):
        tenant = entry.get("tenant") if isinstance(entry, dict) else None
        if isinstance(tenant, str) and tenant not in known:
            issues.append(((i, "tenant"), f"tenant {tenant!r} is not one of load.tenants: "
                                          f"{', '.join(known)}"))
    if key == "sessions":
        names = Counter(e.get("name") for e in entries if isinstance(e, dict))
        issues += [((i, "name"), f"session name {e['name']!r} is used more than once")
                   for i, e in enumerate(entries)
                   if isinstance(e, dict) and isinstance(e.get("name"), str)
                   and names[e["name"]] > 1]  # fmt: skip
    return issues


def load_issues(load: Any, tenants: Iterable[str]) -> list[Issue]:
    """Problems of `load` as a whole, at paths under `load`: the task library and the user's
    traffic given together; a tenant with nothing to send."""
    if not isinstance(load, dict):
        return []
    own = [key for key in ("prompts", "sessions") if load.get(key) is not None]
    issues: list[Issue] = []
    if own and "mix" in load:
        issues.append((("mix",), f"`mix` picks tasks of the built-in library (written for the "
                                 f"reference agent); with `{own[0]}` your own traffic replaces "
                                 "it: give one or the other"))
    entries = [e for key in own if isinstance(load[key], list) for e in load[key]]
    if not own or not all(isinstance(load[key], list) for key in own):
        return issues  # no own traffic, or a file that could not be read (reported there)
    for tenant in tenants:
        weight = 0.0
        for entry in entries:
            spec = _text_alone(entry)
            if isinstance(spec, dict) and spec.get("tenant") in (None, tenant):
                try:
                    weight += float(spec.get("weight", 1.0))
                except (TypeError, ValueError):
                    return issues  # the schema reports the bad weight
        if weight <= 0:
            issues.append(((own[0],), f"users of tenant {tenant!r} have nothing to send: no "
                                      "prompt or session for every tenant or for it, with a "
                                      "weight > 0"))
    return issues
