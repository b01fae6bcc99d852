"""`harness` command line: a thin dispatcher.

Each subcommand lives in its own module (harness/commands/<name>.py) exposing
`add_arguments(parser)` and `main(args) -> int`; modules are imported lazily so that
`harness validate` does not pay for pandas or locust. SIGINT, SIGTERM and SIGHUP are
handled here for every command, whatever the shell left them as (harness.run.signals).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import traceback

from harness import __version__
from harness.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, HarnessError
from harness.run.signals import unwind_on_signals

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("harness.commands.run", "run scenarios against an agent; exit 1 if an SLO is missed"),
    "validate": ("harness.commands.validate", "check scenario files; exit 2 on any problem"),
    "list": ("harness.commands.list", "list scenarios as a table"),
    "report": ("harness.commands.report", "re-render report.html of a run directory"),
    "compare": ("harness.commands.compare", "render two runs side by side"),
    "gate": ("harness.commands.gate", "candidate vs baseline, same chaos; exit 1 if worse"),
    "serve": ("harness.commands.serve", "serve one component: fake-llm, toxiproxy"),
    "init": ("harness.commands.init", "probe your agent and write a starter scenario for it"),
}


EXIT_CODES = """exit codes:
  0    green: every run met its expectation (or, without one, every SLO)
  1    an SLO missed, or a verdict differs from the scenario's `expect`
  2    bad scenario file or usage (every problem with file:line:col)
  3    the stack could not start, or a component died mid-run (no verdict)
  4    internal error of the harness (one line here, the traceback in the run's log)
  130  interrupted by SIGINT, SIGTERM or SIGHUP (faults reverted, stack down)"""


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Chaos and load testing harness for AI agent services.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text, epilog=EXIT_CODES,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
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
        with unwind_on_signals():
            return int(args._main(args) or 0)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: one line here, the whole traceback in a log file
        log = _traceback_log(exc)
        print(f"error: internal error: {type(exc).__name__}: {exc} (traceback: {log})",
              file=sys.stderr)
        return EXIT_INTERNAL


def _traceback_log(exc: BaseException) -> str:
    fd, path = tempfile.mkstemp(prefix="harness-internal-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(exc)))
    return path


if __name__ == "__main__":
    sys.exit(main())
