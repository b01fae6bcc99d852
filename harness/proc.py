"""Child processes that cannot outlive the harness: the one place that forks them.

Each child gets its own process group (a stop reaches its children too, and a terminal's
Ctrl-C reaches only the harness, which stops its children in order) and a parent-death
signal: the kernel SIGKILLs it when the thread that forked it ends, the harness's death by
SIGKILL included. SIGKILL, not SIGTERM, because a child may be frozen (SIGSTOP) or hung.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence

_PR_SET_PDEATHSIG = 1

__all__ = ["signal_group", "spawn"]


def _die_with(parent_pid: int) -> Callable[[], None]:
    def preexec() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: group teardown still applies
            return
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    stdout: int,
    process_group: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` with stdout+stderr to `stdout` (an fd or subprocess.PIPE), stdin closed,
    in a new process group (or `process_group`), killed by the kernel if the harness dies.
    Call it from a thread that lives as long as the child should (the parent-death signal
    follows the forking thread). OSError when the program cannot be started."""
    return subprocess.Popen(
        list(argv),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        process_group=0 if process_group is None else process_group,
        preexec_fn=_die_with(os.getpid()),
        close_fds=True,
    )


def signal_group(pgid: int, sig: int) -> None:
    """Send `sig` to a process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
