from __future__ import annotations

import pytest
from slo_run import make_run

from harness.measure import RunData


@pytest.fixture
def run() -> RunData:
    return make_run()
