"""The user's own traffic as the load generator receives it: prompts and session scripts.

Resolved from the scenario (`load.prompts`, `load.sessions`: files already read, strings
turned into entries) and carried in `LoadConfig`; times in seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TASK = "prompt"
RESERVED_TASKS = frozenset({"attack"})  # the records' task of an injected attack


class Prompt(BaseModel):
    """One message sent on its own (a conversation of one turn)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    task: str = Field(default=DEFAULT_TASK, min_length=1, max_length=80)
    tenant: str | None = None  # only users of this tenant send it; None: every user
    weight: float = Field(default=1.0, ge=0)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    think_s: float | None = Field(default=None, ge=0)  # pause before it; None: think_time


class Session(BaseModel):
    """A conversation script: its turns sent in order under one session id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)  # the records' task of its turns
    weight: float = Field(default=1.0, ge=0)
    tenant: str | None = None
    turns: tuple[Turn, ...] = Field(min_length=1)


Script = Prompt | Session
