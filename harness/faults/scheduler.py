"""Run a scenario's faults on time and log every event to faults.jsonl.

A background thread applies each fault at `at` and reverts it when its spec says
(`FaultSpec.revert_at()`: `at + for`; times already scaled: pass `scenario.scaled(f).faults`).
A fault without an end stays until `stop()`, which also reverts, in reverse order of
application, everything still active.

A fault is active from the moment its `apply()` starts, so `stop()` reverts one whose apply
is still running. A failing apply is recorded as `apply_failed` and reverted at once (a
`reverted` or `revert_failed` row with `partial: true`): whatever part of it took effect (a
bad release restarted but never healthy) does not stay live; the run goes on. A failing revert
is recorded as `revert_failed` and never raised, so it cannot hide the error that ended the
run. Listeners (the faults.jsonl writer, `on_event`) are guarded: a failing one is logged and
counted in `listener_failures`, and the timeline goes on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from harness.faults.base import Fault, FaultContext, build_fault
from harness.scenario.fault_specs import FaultSpec

Event = dict[str, Any]
_log = logging.getLogger(__name__)
_APPLY, _REVERT = "apply", "revert"


class FaultScheduler:
    def __init__(
        self,
        faults: Sequence[FaultSpec],
        ctx: FaultContext,
        log_path: str | Path | None,
        *,
        on_event: Callable[[Event], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.faults: list[Fault] = [build_fault(i, spec) for i, spec in enumerate(faults)]
        self.ctx = ctx
        self.log_path = Path(log_path) if log_path is not None else None
        self.on_event = on_event
        self.events: list[Event] = []
        # Failures per listener ("faults.jsonl", "on_event"); each was logged, none raised.
        self.listener_failures: Counter[str] = Counter()
        self._clock = clock
        self._active: list[Fault] = []  # in order of application
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at: float | None = None
        self._stopped = False

    # -- public ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the timeline now (t = 0 is this call)."""
        if self._thread is not None:
            raise RuntimeError("FaultScheduler already started")
        self._started_at = self._clock()
        self._thread = threading.Thread(target=self._run, name="fault-scheduler", daemon=True)
        self._thread.start()

    def stop(self, join_timeout_s: float = 120.0) -> None:
        """Stop the timeline and revert every active fault, last applied first. Idempotent."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(join_timeout_s)
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            remaining = list(reversed(self._active))
        for fault in remaining:
            self._revert(fault)

    def revert_now(self, fault: Fault) -> bool:
        """Revert `fault` ahead of its schedule (a rollback); its scheduled revert becomes a
        no-op. True when it is reverted now, False if it was not active or the revert failed."""
        return self._revert(fault)

    def active(self) -> list[Fault]:
        """Faults whose apply has started and that are not yet reverted (progress view)."""
        with self._lock:
            return list(self._active)

    def __enter__(self) -> FaultScheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- timeline ---------------------------------------------------------------------------

    def _plan(self) -> list[tuple[float, int, int, str, Fault]]:
        """(time, phase, index, action, fault) in execution order. At one instant, reverts of
        earlier faults run before applies (a window ending as the next starts never overlaps);
        a fault that ends where it starts (`for: 0`, a crash) is reverted right after its own
        apply."""
        steps = []
        for fault in self.faults:
            spec = fault.spec
            steps.append((spec.at, 1, fault.index, _APPLY, fault))
            end = spec.revert_at()
            if end is not None:
                phase = 0 if end > spec.at else 2
                steps.append((end, phase, fault.index, _REVERT, fault))
        return sorted(steps, key=lambda step: step[:3])

    def _run(self) -> None:
        assert self._started_at is not None
        for when, _, _, action, fault in self._plan():
            delay = self._started_at + when - self._clock()
            if delay > 0 and self._stopping.wait(delay):
                return
            if self._stopping.is_set():
                return
            if action == _APPLY:
                self._apply(fault)
            else:
                self._revert(fault)

    def _apply(self, fault: Fault) -> None:
        with self._lock:
            self._active.append(fault)  # active from the start: stop() reverts a hung apply
        try:
            fault.apply(self.ctx)
        except Exception as exc:  # any failure of one fault is evidence, not a crash of the run
            self._record("apply_failed", fault, exc)
            self._revert(fault, partial=True)  # undo whatever part of it took effect
            return
        with self._lock:
            reverted_meanwhile = fault not in self._active
        self._record("applied", fault)
        if reverted_meanwhile:
            # stop() gave up waiting and reverted it while apply still ran: apply's effect
            # came after that revert, so undo it again.
            self._undo(fault, partial=False)

    def _revert(self, fault: Fault, *, partial: bool = False) -> bool:
        with self._lock:
            if fault not in self._active:
                return False  # already reverted (or never applied)
            self._active.remove(fault)
        return self._undo(fault, partial=partial)

    def _undo(self, fault: Fault, *, partial: bool) -> bool:
        try:
            fault.revert(self.ctx)
        except Exception as exc:  # recorded; never raised over the error that ends a run
            self._record("revert_failed", fault, exc, partial=partial)
            return False
        self._record("reverted", fault, partial=partial)
        return True

    # -- events -----------------------------------------------------------------------------

    def _record(
        self,
        event: Literal["applied", "reverted", "apply_failed", "revert_failed"],
        fault: Fault,
        error: BaseException | None = None,
        *,
        partial: bool | None = None,
    ) -> None:
        spec = fault.spec
        record: Event = {
            "ts": time.time(),
            "event": event,
            "index": fault.index,
            "kind": spec.kind,
            "target": spec.target,
            "params": spec.params(),
            "at_s": spec.at,
            "for_s": spec.for_,
            "error": None if error is None else f"{type(error).__name__}: {error}",
        }
        if partial is not None:  # revert rows: does this undo an apply that failed?
            record["partial"] = partial
        with self._lock:
            self.events.append(record)
            if self.log_path is not None:
                self._notify("faults.jsonl", self._write, record)
        if self.on_event is not None:
            self._notify("on_event", self.on_event, record)

    def _write(self, record: Event) -> None:
        assert self.log_path is not None
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
            fh.flush()

    def _notify(self, name: str, listener: Callable[[Event], None], record: Event) -> None:
        """Call one listener; its failure is logged and counted, never raised."""
        try:
            listener(record)
        except Exception:
            self.listener_failures[name] += 1
            _log.exception("fault event listener %s failed on %s of fault %s", name,
                           record["event"], record["index"])
