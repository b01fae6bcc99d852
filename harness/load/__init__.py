"""Load generation: Locust users per tenant, the task mix, prompt-injection attacks, records.

Public API: `LoadConfig`, `AttackConfig`, `LoadRunner`, `load_corpus`, `Recorder`,
`LeakDetector`, `AgentAPI`, `PRESETS`.

Imported lazily (PEP 562): the scenario schema reads `harness.load.api` and should not pay
for the attack corpus and the recorder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.load.api import PRESETS, AgentAPI
    from harness.load.attacks import Attack, Corpus, load_corpus
    from harness.load.config import AttackConfig, LoadConfig
    from harness.load.recorder import LeakDetector, Recorder
    from harness.load.runner import LoadRunner

_WHERE = {
    "AgentAPI": "api",
    "PRESETS": "api",
    "Attack": "attacks",
    "Corpus": "attacks",
    "load_corpus": "attacks",
    "AttackConfig": "config",
    "LoadConfig": "config",
    "LeakDetector": "recorder",
    "Recorder": "recorder",
    "LoadRunner": "runner",
}

__all__ = [  # the keys of _WHERE, spelled out for linters and readers
    "PRESETS",
    "AgentAPI",
    "Attack",
    "AttackConfig",
    "Corpus",
    "LeakDetector",
    "LoadConfig",
    "LoadRunner",
    "Recorder",
    "load_corpus",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
