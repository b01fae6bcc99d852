"""`harness` command line: a thin dispatcher.

Each subcommand lives in its own module (harness/commands/<name>.py) exposing
`add_arguments(parser)` and `main(args) -> int`; modules are imported lazily so that
`harness validate` does not pay for pandas or locust.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from harness import __version__
from harness.errors import HarnessError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("harness.commands.run", "run scenarios against an agent; exit 1 if an SLO is missed"),
    "validate": ("harness.commands.validate", "check scenario files; exit 2 on any problem"),
    "list": ("harness.commands.list", "list scenarios as a table"),
    "report": ("harness.commands.report", "re-render report.html of a run directory"),
    "compare": ("harness.commands.compare", "render two runs side by side"),
    "serve": ("harness.commands.serve", "serve one component: fake-llm, toxiproxy"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Chaos and load testing harness for AI agent services.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen command's module is imported (keeps start-up fast).
        if name == wanted:
            module = importlib.import_module(module_name)
            module.add_arguments(cmd)
            cmd.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_main", None):
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
