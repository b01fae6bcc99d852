"""Prompt-injection screening (chapter 4) and canary filtering of replies.

User input: known injection phrasings are neutralised (cut out and replaced by a marker) so the
model never reads them as instructions. Tool output: sentences that look like instructions in
fetched data (a planted KB article) are quarantined. Replies: other tenants' canary strings are
redacted, a last line of defence should everything above fail.
"""

from __future__ import annotations

import re

from reference_agent.tenants import CANARY_RE

INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}?\b(previous|prior|above|earlier|all|"
        r"your|the|system)\b[^.\n]{0,30}?\b(instructions?|rules?|prompts?|guidelines?|context)\b",
        r"\byou are now\b",
        r"\b(new|updated) (system )?instructions?\s*:",
        r"\b(reveal|print|show|repeat|dump)\b[^.\n]{0,30}\b(system prompt|instructions|secrets?|"
        r"api keys?|canar(y|ies))\b",
        r"\b(for|as|of|from) (the )?(tenant|customer|account|organi[sz]ation)\s*[:=]?\s*"
        r"['\"]?[a-z][a-z0-9_-]*['\"]?",
        r"\btenant\s*[:=]\s*['\"]?[a-z][a-z0-9_-]*",
        r"\b(act|pretend|behave) as (an? )?(admin|administrator|developer|root|system)\b",
        r"</?(system|instructions?|admin)>",
        r"\b(assistant|ai|model)\s*:\s*(ignore|you must|always|never)\b",
    )
)
USER_MARKER = "[removed: suspected prompt injection]"
TOOL_MARKER = "[quarantined: instruction found in retrieved data, not followed]"


def _screen(text: str, marker: str) -> tuple[str, int]:
    hits = 0
    for pattern in INJECTION_PATTERNS:
        text, n = pattern.subn(marker, text)
        hits += n
    return text, hits


def screen_user_input(text: str) -> tuple[str, int]:
    """(neutralised text, number of injection patterns removed)."""
    return _screen(text, USER_MARKER)


def screen_tool_output(text: str) -> tuple[str, int]:
    """(quarantined text, hits). Whole sentences holding an instruction are replaced."""
    hits = 0
    parts = re.split(r"(?<=[.!?\n])\s+", text)
    out = []
    for sentence in parts:
        if any(p.search(sentence) for p in INJECTION_PATTERNS):
            hits += 1
            out.append(TOOL_MARKER)
        else:
            out.append(sentence)
    return (" ".join(out) if hits else text), hits


def redact_foreign_canaries(text: str, tenant: str) -> tuple[str, int]:
    """Replace canaries of tenants other than `tenant`; returns (text, redactions)."""
    count = 0

    def _sub(match: re.Match[str]) -> str:
        nonlocal count
        owner = match.group(0).split("-", 2)[1]
        if owner == tenant:
            return match.group(0)
        count += 1
        return "[redacted]"

    return CANARY_RE.sub(_sub, text), count
