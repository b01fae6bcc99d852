"""`python -m reference_agent.tools`: the MCP tool server in the foreground."""

from __future__ import annotations

import argparse
import sys

from reference_agent.netutil import LOOPBACK
from reference_agent.tools.runner import serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reference_agent.tools",
        description="MCP tool server (orders, customers, KB) over the tenant store.",
    )
    parser.add_argument("--host", default=LOOPBACK, help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--db", default=":memory:", help="SQLite file (default: in memory)")
    parser.add_argument(
        "--store", dest="store_url", default=None, help="store URL (sqlite:///FILE); overrides --db"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for data, canaries, faults")
    parser.add_argument("--log", default=None, help="append each tool call to FILE (JSONL)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return serve(
            host=args.host,
            port=args.port,
            db=args.db,
            store_url=args.store_url,
            seed=args.seed,
            log=args.log,
        )
    except ValueError as exc:  # bad host or store URL: a usage error
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
