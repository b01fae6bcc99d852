"""A throwaway PostgreSQL cluster on a free loopback port, removed afterwards.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` user and
its commands run through `runuser`; otherwise they run as the current user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.netutil import LOOPBACK, free_port
from tests.requires import require_binary, skip_or_fail

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _runner() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        skip_or_fail("running as root and there is no `postgres` user to own a cluster")
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def pg_cluster() -> Iterator[str]:
    """Yield the superuser URL (`postgresql://postgres@127.0.0.1:PORT/postgres`)."""
    initdb = require_binary("initdb", *PG_BIN_DIRS)
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    prefix = _runner()
    home = Path(tempfile.mkdtemp(prefix="h9-pg-"))
    data, log = home / "data", home / "pg.log"
    if prefix:
        shutil.chown(home, "postgres", "postgres")
    port = free_port()
    started = False
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        options = (f"-c listen_addresses={LOOPBACK} -p {port} -k {home} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-o", options,
                        "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=90)
        started = True
        yield f"postgresql://postgres@{LOOPBACK}:{port}/postgres"
    finally:
        if started:
            subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)
