"""Embedded Toxiproxy: the Toxiproxy 2.x HTTP API and toxics over an asyncio TCP proxy.

`ToxiproxyServer` runs it in-process; `harness serve toxiproxy` runs it as a command.
"""

from harness.toxiproxy.server import ToxiproxyServer

__all__ = ["ToxiproxyServer"]
