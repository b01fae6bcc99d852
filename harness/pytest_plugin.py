"""pytest plugin: `pytest scenarios/` runs every scenario file as tests.

Each scenario file is a `pytest.File`; each profile named in its `expect` (or `own` for the
user's agent) is an item. An item passes when the run's verdict equals the expectation: the
naive profile must fail, which proves the scenario has teeth. A failure prints the SLO table
and the run directory, not a traceback.

Collected: YAML files below the folders of the ini option `harness_scenarios` (default:
`scenarios` under the rootdir), or any YAML file named on the command line.
Options, all prefixed so they never clash with another plugin's (pytest-profiling has its
own `--profile`): --harness-time-scale, --harness-profile, --harness-stack, --harness-out,
--harness-strict. The old `--time-scale` still works for one release, with a deprecation
warning.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError, ScenarioError
from harness.stack.base import STACKS

_YAML = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "chaos and load scenarios (harness)")
    group.addoption("--harness-time-scale", type=float, default=None, metavar="F",
                    help="multiply every scenario duration and fault time by F")
    # Deprecated spelling of --harness-time-scale, hidden; kept for one release.
    group.addoption("--time-scale", type=float, default=None, dest="harness_old_time_scale",
                    help=argparse.SUPPRESS)
    group.addoption("--harness-profile", choices=["naive", "hardened", "all"], default=None,
                    help="run only this reference agent profile (default: those in `expect`)")
    group.addoption("--harness-stack", choices=list(STACKS), default="local",
                    help="the stack to run scenarios on (default: local)")
    group.addoption("--harness-out", default="reports", metavar="DIR",
                    help="where run directories go (default: reports/)")
    group.addoption("--harness-strict", action="store_true",
                    help="an SLO passes only when its whole 95%% interval meets the objective")
    parser.addini("harness_scenarios", type="args", default=["scenarios"],
                  help="folders (relative to the rootdir) whose YAML files are scenarios")


def _time_scale(config: pytest.Config) -> float:
    scale = config.getoption("harness_time_scale")
    return 1.0 if scale is None else float(scale)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a harness scenario run (real processes)")
    old = config.getoption("harness_old_time_scale")
    if old is not None:
        config.issue_config_time_warning(pytest.PytestDeprecationWarning(
            "--time-scale is deprecated; use --harness-time-scale"), stacklevel=2)
        if config.getoption("harness_time_scale") is None:
            config.option.harness_time_scale = old
    scale = _time_scale(config)
    if not scale > 0:
        raise pytest.UsageError(f"--harness-time-scale must be > 0, got {scale}")


def _wanted(file_path: Path, config: pytest.Config) -> bool:
    if file_path.suffix not in _YAML:
        return False
    resolved = file_path.resolve()
    named = {Path(a.split("::")[0]).resolve() for a in config.args}
    if resolved in named:
        return True
    roots = [(config.rootpath / d).resolve() for d in config.getini("harness_scenarios")]
    return any(resolved.is_relative_to(root) for root in roots)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ScenarioFile | None:
    if _wanted(file_path, parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from harness.run.runner import profiles_for
        from harness.scenario import load_scenario

        scenario = load_scenario(self.path)  # ScenarioError -> repr_failure below
        requested = self.config.getoption("harness_profile")
        if requested or scenario.agent.kind != "reference":
            profiles = profiles_for(scenario, requested)
        else:
            profiles = [p for p in ("naive", "hardened", "own") if p in scenario.expect]
            profiles = profiles or profiles_for(scenario, None)
        for profile in profiles:
            yield ScenarioItem.from_parent(self, name=profile, scenario=scenario,
                                           profile=profile)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioError):
            return f"invalid scenario file:\n{excinfo.value}"
        return super().repr_failure(excinfo)  # type: ignore[return-value]


class ScenarioRunFailed(Exception):
    """The verdict differs from the expectation; carries the text pytest prints."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Any, profile: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.profile = profile
        self.run_dir: Path | None = None
        self.add_marker("scenario")

    def runtest(self) -> None:
        from harness.run.runner import RunOptions, run_scenario

        options = RunOptions(
            out_root=Path(self.config.getoption("--harness-out")),
            time_scale=_time_scale(self.config),
            strict=self.config.getoption("--harness-strict"),
            stack=self.config.getoption("--harness-stack"),
            progress=False,
        )

        def remember(run_dir: Path) -> None:
            self.run_dir = run_dir

        result = run_scenario(self.scenario, self.profile, options, on_run_dir=remember)
        self.user_properties.append(("run_dir", str(result.run_dir)))
        self.user_properties.append(("verdict", result.verdict))
        if not result.succeeded:
            raise ScenarioRunFailed(_failure_text(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioRunFailed):
            return str(excinfo.value)
        if isinstance(excinfo.value, HarnessError):
            where = f"\nrun dir: {self.run_dir}" if self.run_dir else ""
            return f"{type(excinfo.value).__name__}: {excinfo.value}{where}"
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"scenario {self.scenario.name} [{self.profile}]"


def _failure_text(result: Any) -> str:
    from harness.run.junit import slo_line

    expected = result.expected or "pass"
    lines = [f"{result.scenario.name} [{result.profile}]: verdict {result.verdict.upper()}, "
             f"expected {expected.upper()}"]
    lines += [f"  {slo_line(slo)}" for slo in result.slos]
    lines.append(f"run dir: {result.run_dir}")
    if result.report_html:
        lines.append(f"report:  {result.report_html}")
    return "\n".join(lines)
