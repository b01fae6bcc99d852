"""Skip a test when a system binary is missing, except in CI, where that is a failure.

CI (`.ci/run`, CI=true) installs Debian's `prometheus` and `postgresql`; a test that would
skip there for want of them means the CI image is wrong, and must say so loudly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ["in_ci", "require_binary", "skip_or_fail"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """pytest.skip outside CI, pytest.fail inside it."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this test must not skip)", pytrace=False)
    pytest.skip(reason)


def require_binary(name: str, *search: str | Path) -> str:
    """The path of `name` (on PATH, else in one of `search` dirs); skips/fails when absent."""
    found = shutil.which(name)
    for folder in search:
        candidate = Path(folder) / name
        if found is None and candidate.is_file() and os.access(candidate, os.X_OK):
            found = str(candidate)
    if found is None:
        skip_or_fail(f"`{name}` is not installed")
    assert found is not None
    return found
