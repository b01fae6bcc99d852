"""Child processes that cannot outlive the harness: own process group + parent-death signal."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _set_pdeathsig(parent_pid: int) -> Callable[[], None]:
    def preexec() -> None:
        # Linux only: SIGTERM this child when the thread that forked it dies (SIGKILL included).
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def spawn(
    argv: list[str],
    *,
    env: dict[str, str],
    log: int,
    process_group: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` with stdout+stderr to the `log` fd, in a new process group (or the given
    one), killed by the kernel if the harness dies.

    A new group, not a new session: a terminal's Ctrl-C then reaches only the harness, which
    stops its children in order, and later children may still join the group (setpgid cannot
    cross sessions)."""
    return subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        process_group=0 if process_group is None else process_group,
        preexec_fn=_set_pdeathsig(os.getpid()),
        close_fds=True,
    )


def signal_group(pgid: int, sig: int) -> None:
    """Send `sig` to a process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
