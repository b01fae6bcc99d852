"""What a user's text mentions: words (for relevance) and values (ids, numbers, dates, places).

The tool model matches these against each tool's name, description and parameters; nothing
here knows any particular tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_STOP = """a an the of to for in on at by and or is are was were be been am my me i we our us
you your it its this that these those with from please can could would will shall should what
whats where when how do does did get got give tell show find check about any some much many
which who whom there here then than also just need want like know let s t im id ive dont not
no yes if so as up out into over via per each all more most very now"""
STOP_WORDS = frozenset(_STOP.split())
_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+")
ID = re.compile(r"\b[A-Za-z]{2,}[-_]\d+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"https?://[^\s\"'<>)]+")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NUMBER = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?![\w-])")
QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|'([^'\n]{2,200})'")
PROPER = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")
AFTER = re.compile(r"\b(from|to|in|at|for|near|into)\s+([A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)")
# The word right after a number, for "3 nights", "2 guests", "order 12345" (word before).
NUMBER_CONTEXT = re.compile(
    r"(?:\b([a-z]+)\s+)?(?<![\w.-])(\d+(?:\.\d+)?)(?![\w-])(?:\s+([a-z]+))?"
)


def stem(word: str) -> str:
    """A light stemmer: plural and -ing/-ed endings, so "flights" meets "flight"."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed") and not w.endswith("eed"):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    """The stemmed content words of `text`; snake_case and camelCase names are split."""
    return frozenset(
        stem(w) for w in _WORD.findall(text.replace("_", " ")) if w.lower() not in STOP_WORDS
    )


@dataclass(frozen=True, slots=True)
class Mentions:
    """Values found in a text, in the order they appear."""

    text: str
    ids: tuple[str, ...]
    emails: tuple[str, ...]
    urls: tuple[str, ...]
    dates: tuple[str, ...]
    numbers: tuple[tuple[str, str, str], ...]  # (word before, number, word after)
    quoted: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (preposition, proper name)
    propers: tuple[str, ...]


@lru_cache(maxsize=4096)
def mentions(text: str) -> Mentions:
    masked = DATE.sub(" ", ID.sub(" ", EMAIL.sub(" ", URL.sub(" ", text))))
    numbers = tuple(
        (m.group(1) or "", m.group(2), m.group(3) or "") for m in NUMBER_CONTEXT.finditer(masked)
    )
    sentence_starts = {m.end() for m in re.finditer(r"(?:^|[.?!]\s+|\n)", text)}
    propers = tuple(
        m.group(0)
        for m in PROPER.finditer(text)
        if m.start() not in sentence_starts and m.group(0).lower() not in STOP_WORDS
    )
    return Mentions(
        text=text,
        ids=tuple(ID.findall(text)),
        emails=tuple(EMAIL.findall(text)),
        urls=tuple(URL.findall(text)),
        dates=tuple(DATE.findall(text)),
        numbers=numbers,
        quoted=tuple(a or b for a, b in QUOTED.findall(text)),
        places=tuple((p.lower(), name) for p, name in AFTER.findall(text)),
        propers=propers,
    )


__all__ = ["STOP_WORDS", "Mentions", "mentions", "stem", "words"]
