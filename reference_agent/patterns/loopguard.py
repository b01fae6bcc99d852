"""Runaway tool loops (chapter 3): a cap on iterations and repeated identical tool calls."""

from __future__ import annotations

import json
from typing import Any


class LoopGuard:
    def __init__(self, max_iterations: int, detect_repeats: bool) -> None:
        self.max_iterations = max_iterations
        self.detect_repeats = detect_repeats
        self._seen: set[str] = set()

    def may_iterate(self, iterations_done: int) -> bool:
        return iterations_done < self.max_iterations

    def is_repeat(self, tool: str, arguments: dict[str, Any]) -> bool:
        """True when this exact call (name and arguments) was already made in this chat."""
        key = tool + "\x00" + json.dumps(arguments, sort_keys=True, default=str)
        if key in self._seen:
            return self.detect_repeats
        self._seen.add(key)
        return False
