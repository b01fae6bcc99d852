"""Fixtures of the load tests: the stand-in agent on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from load_standin import serve_standin


@pytest.fixture(scope="module")
def standin_url() -> Iterator[str]:
    with serve_standin() as url:
        yield url
