"""Unit level: attribute decoding and slicing, without sockets."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from harness.toxiproxy.errors import ApiError
from harness.toxiproxy.toxics import REGISTRY, ToxicContext
from harness.toxiproxy.toxics.latency import Latency
from harness.toxiproxy.toxics.slicer import Slicer


class _Conn:
    def close(self) -> None: ...

    def reset(self) -> None: ...


def test_registry_has_every_toxiproxy_toxic() -> None:
    assert set(REGISTRY) == {
        "latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data",
    }  # fmt: skip


def test_update_merges_attributes() -> None:
    base = Latency.from_attributes({"latency": 100})
    merged = Latency.from_attributes({"jitter": 5, "unknown": 1}, base=base)
    assert merged.attributes() == {"latency": 100, "jitter": 5}
    assert Latency.from_attributes({"latency": 7.0}).latency == 7  # JSON 7.0 is an integer


def test_bad_attribute_is_400() -> None:
    with pytest.raises(ApiError) as err:
        Latency.from_attributes({"latency": "1"})
    assert err.value.status == 400


@pytest.mark.parametrize("size", [0, 1, 99, 100, 1000, 4097])
def test_slicer_pieces_cover_the_chunk_in_order(size: int) -> None:
    loop = asyncio.new_event_loop()
    try:
        slicer = Slicer(average_size=100, size_variation=30, delay=0)
        ctx = ToxicContext(slicer, _Conn(), random.Random(1), loop)
        pieces = slicer.offsets(size, ctx)
    finally:
        loop.close()
    assert pieces[0][0] == 0 and pieces[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert all(end - start <= 130 for start, end in pieces)
