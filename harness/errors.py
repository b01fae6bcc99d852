"""The harness's error hierarchy.

    HarnessError
    ├── UsageError          bad command-line usage                         (exit 2)
    ├── ScenarioError       a scenario file is invalid; lists every problem (exit 2)
    ├── SLOError            an SLO spec is invalid                          (exit 2)
    ├── StackError          a process of the stack could not start or died  (exit 3)
    │   └── RigFailure      (harness.stack.base) a dependency died mid-run  (exit 3)
    ├── FaultError          a fault's control API cannot be reached         (exit 3)
    └── InternalError       a bug of the harness; traceback in the run's log (exit 4)

Exit codes (`harness --help`, README): 0 green, 1 an SLO missed or a verdict differs from
`expect`, 2 bad scenario or usage, 3 the stack could not start or a component died,
4 internal error, 130 interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""

    exit_code: int = 1


class UsageError(HarnessError):
    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario file: where it is and what is wrong."""

    file: str
    line: int | None
    column: int | None
    path: str  # dotted key path, e.g. "faults[0].kind"
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


@dataclass
class ScenarioError(HarnessError):
    """A scenario file is invalid. Carries every problem found, not only the first."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = 2

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class StackError(HarnessError):
    """A process of the stack failed to start or died: names it and shows its log tail."""

    exit_code = 3

    def __init__(self, process: str, message: str, log_tail: str = "") -> None:
        self.process = process
        self.message = message
        self.log_tail = log_tail
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.process}: {self.message}"
        if self.log_tail:
            text += f"\n--- last lines of {self.process}'s log ---\n{self.log_tail}"
        return text


class FaultError(HarnessError):
    """A fault could not be applied or reverted (recorded in faults.jsonl; raised only where
    the rig itself is unusable)."""

    exit_code = 3


class SLOError(HarnessError):
    """An SLO spec is invalid (unknown name, bad selector, bad objective)."""

    exit_code = 2


class InternalError(HarnessError):
    """An unexpected exception inside the harness: a bug, not a verdict on the agent."""

    exit_code = 4

    def __init__(self, error: BaseException, log_path: str | None = None) -> None:
        self.error = error
        self.log_path = log_path
        where = f" (traceback: {log_path})" if log_path else ""
        super().__init__(f"internal error: {type(error).__name__}: {error}{where}")


EXIT_OK, EXIT_SLO, EXIT_USAGE, EXIT_STACK, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
