"""A run's life as named states, and the one object that writes its run.json."""

from __future__ import annotations

import errno
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.atomic import write_atomic

__all__ = ["RunRecord", "RunState"]


class RunState(StrEnum):
    """`run.json` "status". Only `finished` runs carry a verdict."""

    STARTING = "starting"  # the stack is coming up
    RUNNING = "running"  # load and faults
    CONCLUDING = "concluding"  # load stopped; SLOs being evaluated
    FINISHED = "finished"  # verdict written
    INTERRUPTED = "interrupted"  # SIGINT/SIGTERM/SIGHUP: torn down, no verdict
    RIG_FAILED = "rig_failed"  # the stack could not start or a component died: no verdict
    ERROR = "error"  # an internal error of the harness: no verdict


_ENDED = (RunState.FINISHED, RunState.INTERRUPTED, RunState.RIG_FAILED, RunState.ERROR)


class RunRecord:
    """The run's metadata (docs/contracts.md, run.json); every change is written at once."""

    def __init__(self, run_dir: Path, info: dict[str, Any]) -> None:
        self.path = run_dir / "run.json"
        self.write_error: OSError | None = None
        self.info: dict[str, Any] = {"status": RunState.STARTING.value, "started": time.time(),
                                     "ended": None, "verdict": None, **info}
        self.write()

    @property
    def state(self) -> RunState:
        return RunState(self.info["status"])

    def update(self, **fields: Any) -> None:
        self.info.update(fields)
        self.write()

    def enter(self, state: RunState, **fields: Any) -> None:
        """Move to `state` (an ended state also stamps `ended`)."""
        if state in _ENDED:
            fields.setdefault("ended", time.time())
        self.update(status=state.value, **fields)

    def write(self) -> None:
        """Written at once; on a full disk the run goes on and the next change tries again
        (the runner reports the full disk itself)."""
        try:
            write_atomic(self.path, json.dumps(self.info, indent=2, default=str) + "\n")
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            self.write_error = exc
