"""Load generation: Locust users per tenant, the task mix, prompt-injection attacks, records.

Public API: `LoadConfig`, `AttackConfig`, `LoadRunner`, `load_corpus`, `Recorder`,
`LeakDetector`.
"""

from harness.load.attacks import Attack, Corpus, load_corpus
from harness.load.config import AttackConfig, LoadConfig
from harness.load.recorder import LeakDetector, Recorder
from harness.load.runner import LoadRunner

__all__ = [
    "Attack",
    "AttackConfig",
    "Corpus",
    "LeakDetector",
    "LoadConfig",
    "LoadRunner",
    "Recorder",
    "load_corpus",
]
