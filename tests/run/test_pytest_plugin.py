"""The pytest plugin: scenario files as test files, one item per expected profile."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

GOOD = """\
name: tiny
title: "A tiny scenario"
duration: 4s
load: {users: 2, spawn_rate: 2, tenants: [acme], mix: {chat: 1}, think_time: 100ms}
slos:
  requests: ">= 3"
  availability: ">= 90%"
expect: {naive: pass, hardened: fail}
"""
BAD = """\
name: Bad Name
title: x
duration: 5q
"""


def test_collects_one_item_per_expected_profile(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "tiny.yaml").write_text(GOOD)
    pytester.path.joinpath("other.yaml").write_text(GOOD)  # outside scenarios/: not collected
    result = pytester.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios/tiny.yaml::naive", "scenarios/tiny.yaml::hardened",
                                 "2 tests collected*"])
    only = pytester.runpytest_subprocess("--collect-only", "-q", "--harness-profile",
                                         "hardened")
    only.stdout.fnmatch_lines(["scenarios/tiny.yaml::hardened", "1 test collected*"])


def test_a_bad_scenario_is_a_collection_error_with_every_problem(
    pytester: pytest.Pytester,
) -> None:
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "bad.yaml").write_text(BAD)
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*invalid scenario file:*", "*bad.yaml:1:7: name: invalid name*",
                                 "*bad.yaml:3:11: duration: invalid duration '5q'*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_bad_time_scale_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--harness-time-scale", "0")
    result.stderr.fnmatch_lines(["*--harness-time-scale must be > 0*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_the_old_time_scale_spelling_still_works_with_a_deprecation_warning(
    pytester: pytest.Pytester,
) -> None:
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "tiny.yaml").write_text(GOOD)
    result = pytester.runpytest_subprocess("--collect-only", "-q", "--time-scale", "0.5")
    result.stdout.fnmatch_lines(["*PytestDeprecationWarning: --time-scale is deprecated; use "
                                 "--harness-time-scale*", "2 tests collected*"])
    bad = pytester.runpytest_subprocess("--time-scale", "0")
    bad.stderr.fnmatch_lines(["*--harness-time-scale must be > 0*"])


def test_the_plugin_loads_beside_pytest_profiling(pytester: pytest.Pytester) -> None:
    """pytest-profiling owns `--profile`; pytest11 plugins load together, so a clash of option
    names would stop pytest at start-up."""
    pytest.importorskip("pytest_profiling")  # a dev dependency: both load from entry points
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    result.stdout.fnmatch_lines(["*--profile *", "*--harness-profile*", "*--harness-stack*"])


@pytest.mark.integration
def test_items_pass_when_the_verdict_matches_and_fail_with_the_slo_table(
    pytester: pytest.Pytester,
) -> None:
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "tiny.yaml").write_text(GOOD)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--harness-out", str(pytester.path / "out"),
        "-q", "--junitxml", "junit.xml",
        timeout=300,
    )
    # The hardened agent meets both SLOs, so `hardened: fail` is the wrong expectation.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*tiny ?hardened?: verdict PASS, expected FAIL*",
        "*availability >= 90%: measured*-> pass*",
        "*run dir: *out/*-tiny-hardened*",
    ])
    assert "Traceback" not in result.stdout.str()
    assert (pytester.path / "junit.xml").read_text().count("<testcase") == 2
