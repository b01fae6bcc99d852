"""Toxic types, registered by name (one module each, like Toxiproxy's `toxics/`)."""

from harness.toxiproxy.toxics import (  # noqa: F401  (importing registers the types)
    bandwidth,
    latency,
    limit_data,
    reset_peer,
    slicer,
    slow_close,
    timeout,
)
from harness.toxiproxy.toxics.base import REGISTRY, Chunk, Toxic, ToxicContext

__all__ = ["REGISTRY", "Chunk", "Toxic", "ToxicContext"]
