"""`harness serve fake-llm`: the fake Anthropic Messages API as a foreground server."""

from __future__ import annotations

import argparse
import signal

import uvicorn

from harness.fake_llm.app import MAX_BODY_BYTES, FakeLLMApp
from harness.fake_llm.server import bind, uvicorn_config
from harness.netutil import LOOPBACK, announce


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=LOOPBACK, help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0 = a free one)")
    parser.add_argument("--region", default="us", help="region name written in the ledger")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    parser.add_argument("--api-key", default=None, help="require this x-api-key (401 otherwise)")
    parser.add_argument("--upstream", default=None, help="forward to this Anthropic-compatible URL")
    parser.add_argument(
        "--ledger", default=None, help="append each ledger row to FILE (JSON lines)"
    )
    parser.add_argument("--rate-limit-requests", type=int, default=None, help="requests per minute")
    parser.add_argument(
        "--rate-limit-tokens",
        type=int,
        default=None,
        help="input tokens per minute (and output tokens, unless --rate-limit-output-tokens)",
    )
    parser.add_argument(
        "--rate-limit-output-tokens", type=int, default=None, help="output tokens per minute"
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=MAX_BODY_BYTES, help="413 above this body size"
    )


def main(args: argparse.Namespace) -> int:
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    app = FakeLLMApp(
        region=args.region,
        seed=args.seed,
        api_key=args.api_key,
        upstream=args.upstream,
        ledger_path=args.ledger,
        max_body_bytes=args.max_body_bytes,
        rate_limit_requests=args.rate_limit_requests,
        rate_limit_tokens=args.rate_limit_tokens,
        rate_limit_output_tokens=args.rate_limit_output_tokens,
    )
    announce(host, port)
    # uvicorn re-raises the signal it caught once it has shut down; with these no-op handlers
    # in place that re-raise is harmless and SIGINT/SIGTERM end the process with exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])
    sock.close()
    return 0
