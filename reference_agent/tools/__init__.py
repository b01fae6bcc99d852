"""The reference agent's MCP tool server over the tenant store.

`python -m reference_agent.tools --port 0` runs it; `ToolServer` runs it in a background
thread for tests (`with ToolServer(seed=1) as tools: tools.mcp_url`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ToolServer"]

if TYPE_CHECKING:
    from reference_agent.tools.runner import ToolServer


def __getattr__(name: str) -> Any:
    # Lazy: `reference_agent.tools.store` users should not pay for importing mcp and uvicorn.
    if name == "ToolServer":
        from reference_agent.tools.runner import ToolServer

        return ToolServer
    raise AttributeError(name)
