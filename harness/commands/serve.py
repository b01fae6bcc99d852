"""`harness serve COMPONENT`: run one component of the stack as a foreground server.

Each component module exposes `add_arguments(parser)` and `main(args) -> int` and prints
`listening on http://HOST:PORT` as its first stdout line.
"""

from __future__ import annotations

import argparse
import importlib

COMPONENTS: dict[str, tuple[str, str]] = {
    "fake-llm": ("harness.fake_llm.cli", "Anthropic Messages API look-alike with a control API"),
    "toxiproxy": ("harness.toxiproxy.cli", "embedded Toxiproxy-compatible proxy server"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="component", metavar="COMPONENT", required=True)
    for name, (module_name, help_text) in COMPONENTS.items():
        comp = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(comp)
        comp.set_defaults(_serve=module.main)


def main(args: argparse.Namespace) -> int:
    return int(args._serve(args) or 0)
