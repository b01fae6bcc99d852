"""`harness serve fake-llm`: the fake Anthropic Messages API as a foreground server."""

from __future__ import annotations

import argparse
import signal
from typing import Any

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
    model = parser.add_argument_group("model (initial behaviour; the control API can change it)")
    model.add_argument("--tool-eagerness", type=float, default=None,
                       help="0 = never call tools under tool_choice auto, 1 = always (default 0.5)")
    model.add_argument("--max-tool-calls-per-turn", type=int, default=None,
                       help="at most N tool_use blocks in one turn")
    model.add_argument("--tool-turns", type=int, default=None,
                       help="make exactly N tool-calling turns before answering")
    model.add_argument("--thinking-tokens", type=int, default=None,
                       help="think exactly N tokens when thinking is on")
    model.add_argument("--redacted-thinking", action="store_true", default=None,
                       help="return thinking as redacted_thinking blocks")


MODEL_OPTIONS = (
    "tool_eagerness", "max_tool_calls_per_turn", "tool_turns", "thinking_tokens",
    "redacted_thinking",
)


def initial_behaviour(args: argparse.Namespace) -> dict[str, Any]:
    """The behaviour fields given on the command line (unset options are left out)."""
    given = {name: getattr(args, name, None) for name in MODEL_OPTIONS}
    return {name: value for name, value in given.items() if value is not None}


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
        behaviour=initial_behaviour(args),
    )
    announce(host, port)
    # uvicorn re-raises the signal it caught once it has shut down; with these no-op handlers
    # in place that re-raise is harmless and SIGINT/SIGTERM end the process with exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])
    sock.close()
    return 0
