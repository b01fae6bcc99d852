"""`python -m reference_agent --profile naive|hardened [...]`: the agent in the foreground."""

from __future__ import annotations

import argparse
import os
import sys

from reference_agent import logs, telemetry
from reference_agent.app import create_app
from reference_agent.config import PROFILES, build_config, format_flag_table, parse_set_args
from reference_agent.netutil import LOOPBACK, announce
from reference_agent.runner import ToolServerProcess, bind, make_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reference_agent",
        description="Reference support agent (FastAPI + anthropic SDK + MCP tools). The LLM base "
        "URL comes from ANTHROPIC_BASE_URL, the key from ANTHROPIC_API_KEY.",
    )
    parser.add_argument("--profile", choices=PROFILES, default="naive")
    parser.add_argument("--host", default=LOOPBACK, help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--tools-url", default=None,
                        help="MCP tool server URL; default: start one on a free loopback port")
    parser.add_argument("--llm-eu-url", default=None, help="LLM base URL of the EU region")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="FLAG=VALUE", help="override a flag (repeatable); see --list-flags")
    parser.add_argument("--list-flags", action="store_true", help="print the flag table and exit")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_flags:
        print(format_flag_table())
        return 0
    try:
        cfg = build_config(args.profile, parse_set_args(args.overrides))
        sock = bind(args.host, args.port)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logs.configure(args.log_level)
    telemetry.setup("reference-agent", force=cfg.otel_export)
    tools = None if args.tools_url else ToolServerProcess()
    try:
        app = create_app(
            cfg,
            llm_url=os.environ.get("ANTHROPIC_BASE_URL") or None,
            llm_eu_url=args.llm_eu_url,
            tools_url=args.tools_url or (tools.url if tools else None),
            api_key=os.environ.get("ANTHROPIC_API_KEY") or None,
        )
        server = make_server(app)
        announce(*sock.getsockname()[:2])
        server.run(sockets=[sock])
    finally:
        sock.close()
        if tools is not None:
            tools.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
