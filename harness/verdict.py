"""Did a run meet its expectation? The one answer, for the CLI, pytest, JUnit and reports."""

from __future__ import annotations

__all__ = ["meets_expectation", "outcome"]


def outcome(verdict: str, expected: str | None) -> str:
    """What a run means for a suite: with an expectation, pass iff the verdict equals it (a
    naive run that fails proves the scenario has teeth); without one, its verdict. An
    inconclusive verdict is never green."""
    if verdict == "inconclusive":
        return "inconclusive"
    if expected is None:
        return verdict
    return "pass" if verdict == expected else "fail"


def meets_expectation(verdict: str, expected: str | None) -> bool:
    return outcome(verdict, expected) == "pass"
