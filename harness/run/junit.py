"""JUnit XML for CI systems: one test suite per run, one test case per SLO."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.atomic import write_atomic
from harness.units import slo_value


def slo_line(result: dict[str, Any]) -> str:
    """`availability >= 99.9%: measured 97.12% [96.80%, 97.40%] n=1234 -> fail` (values in
    the one unit formatter, harness.units, as the reports show them)."""
    unit = result.get("unit", "")
    interval = ""
    if result.get("ci_low") is not None and result.get("ci_high") is not None:
        interval = f" [{slo_value(result['ci_low'], unit)}, {slo_value(result['ci_high'], unit)}]"
    return (f"{result['name']} {result['objective']}: measured "
            f"{slo_value(result.get('value'), unit)}{interval} n={result.get('n', 0)} "
            f"-> {result['verdict']}")


def junit_xml(runs: Iterable[dict[str, Any]]) -> str:
    """`runs`: dicts with keys suite (name), run_dir, verdict, expected, slos (results)."""
    root = ET.Element("testsuites", name="harness")
    for run in runs:
        slos = run.get("slos", [])
        suite = ET.SubElement(root, "testsuite", name=run["suite"], tests=str(len(slos)))
        failures = 0
        for result in slos:
            case = ET.SubElement(suite, "testcase", classname=run["suite"], name=result["name"])
            ET.SubElement(case, "system-out").text = slo_line(result)
            if result["verdict"] == "fail":
                failures += 1
                ET.SubElement(case, "failure", message=slo_line(result), type="SLOMissed")
            elif result["verdict"] == "inconclusive":
                ET.SubElement(case, "skipped", message=slo_line(result))
        suite.set("failures", str(failures))
        props = ET.SubElement(suite, "properties")
        for key in ("run_dir", "verdict", "expected", "profile"):
            if run.get(key) is not None:
                ET.SubElement(props, "property", name=key, value=str(run[key]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_junit(path: Path, runs: Iterable[dict[str, Any]]) -> None:
    write_atomic(path, junit_xml(runs))
