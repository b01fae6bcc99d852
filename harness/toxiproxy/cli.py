"""`harness serve toxiproxy`: the embedded Toxiproxy as a foreground server."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from harness.netutil import LOOPBACK, announce
from harness.toxiproxy.errors import ApiError
from harness.toxiproxy.server import bind, new_event_loop, serve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=LOOPBACK, help="API address (loopback only)")
    parser.add_argument("--port", type=int, default=8474, help="API port; 0 = a free port")
    parser.add_argument(
        "--config", metavar="FILE", help="JSON list of proxies to create at start (as -config)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for toxicity, jitter and slicer randomness"
    )


def _load_config(path: str) -> list[Any]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of proxies")
    return data


def main(args: argparse.Namespace) -> int:
    try:
        config = _load_config(args.config) if args.config else None
        sock = bind(args.host, args.port)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    announce(args.host, int(sock.getsockname()[1]))
    try:
        loop.run_until_complete(serve(sock, stop, seed=args.seed, config=config))
    except ApiError as exc:
        print(f"error: --config: {exc.message}", file=sys.stderr)
        return 2
    finally:
        sock.close()
        loop.close()
    return 0
