"""The prompt-injection corpus: load `attacks.yaml`, validate it, fill its placeholders."""

from __future__ import annotations

import base64
import string
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml import YAML

PLACEHOLDERS = frozenset({"tenant", "other_tenant", "other_order", "other_customer", "encoded"})
Encoding = Literal["base64", "spaced", "reversed", "leet"]
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})


def placeholders(template: str) -> set[str]:
    """Names of the `{placeholders}` in a template (`{{`/`}}` are literal braces)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def encode(text: str, encoding: Encoding) -> str:
    """Hide `text` from keyword screens the way attackers do."""
    if encoding == "base64":
        return base64.b64encode(text.encode()).decode()
    if encoding == "spaced":
        return " ".join(text)
    if encoding == "reversed":
        return text[::-1]
    return text.lower().translate(_LEET)


class Attack(BaseModel):
    """One payload of the corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: str
    kind: Literal["direct", "indirect"]
    description: str
    payload: str
    encoded: str | None = None
    encoding: Encoding | None = None
    title: str | None = None  # indirect: title of the planted KB article
    trigger: str | None = None  # indirect: a user question that makes the agent retrieve it

    @model_validator(mode="after")
    def _check(self) -> Attack:
        used = placeholders(self.payload) | placeholders(self.encoded or "")
        if unknown := used - PLACEHOLDERS:
            raise ValueError(f"{self.id}: unknown placeholders {sorted(unknown)}")
        if ("encoded" in used) != (self.encoded is not None and self.encoding is not None):
            raise ValueError(f"{self.id}: {{encoded}} needs both `encoded` and `encoding`")
        if self.kind == "indirect" and not (self.title and self.trigger):
            raise ValueError(f"{self.id}: indirect payloads need `title` and `trigger`")
        return self

    def render(self, values: Mapping[str, str]) -> str:
        """The payload with placeholders filled from `values` (tenant, other_tenant, ...)."""
        fill = dict(values)
        if self.encoded is not None and self.encoding is not None:
            fill["encoded"] = encode(self.encoded.format_map(fill), self.encoding)
        return self.payload.format_map(fill)


class Corpus(BaseModel):
    """The documented categories and every payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: dict[str, str]
    attacks: tuple[Attack, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Corpus:
        ids = [a.id for a in self.attacks]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"duplicate attack ids: {dupes}")
        if undocumented := sorted({a.category for a in self.attacks} - set(self.categories)):
            raise ValueError(f"categories used but not documented: {undocumented}")
        return self

    def get(self, attack_id: str) -> Attack:
        for attack in self.attacks:
            if attack.id == attack_id:
                return attack
        raise KeyError(attack_id)

    def select(
        self, kind: str | None = None, categories: frozenset[str] | set[str] | None = None
    ) -> tuple[Attack, ...]:
        """Payloads of a kind and (when given) one of `categories`, in corpus order."""
        return tuple(
            a
            for a in self.attacks
            if (kind is None or a.kind == kind) and (categories is None or a.category in categories)
        )


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Load and validate a corpus file; the built-in one when `path` is None (cached)."""
    if path is None:
        return _builtin()
    return _parse(Path(path).read_text(encoding="utf-8"))


def merged_corpus(user: Corpus | None, builtin: bool = True) -> Corpus:
    """The corpus attacks are drawn from: the built-in one, the user's, or both (payload ids
    must differ; a category both document keeps the built-in description)."""
    if user is None:
        return _builtin()
    if not builtin:
        return user
    base = _builtin()
    return Corpus(categories={**user.categories, **base.categories},
                  attacks=(*base.attacks, *user.attacks))


@cache
def _builtin() -> Corpus:
    return _parse(resources.files("harness.load").joinpath("attacks.yaml").read_text("utf-8"))


def _parse(text: str) -> Corpus:
    return Corpus.model_validate(YAML(typ="safe").load(text))
