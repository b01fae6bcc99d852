"""Print the project's runtime requirements (pyproject.toml), one a line, with extras' too.

    python deploy/requirements.py pyproject.toml postgres > requirements.txt

The images install these in a layer of their own, before the source is copied (a change to the
code does not reinstall every dependency), and deploy/compose-test.sh builds its wheelhouse
from the same list. Standard library only: it runs in the base image before anything is
installed.
"""

from __future__ import annotations

import sys
import tomllib


def requirements(pyproject: str, extras: list[str]) -> list[str]:
    with open(pyproject, "rb") as fh:
        project = tomllib.load(fh)["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"{pyproject}: no optional dependencies {unknown} "
                         f"(has {sorted(optional)})")
    found = list(project.get("dependencies", []))
    for extra in extras:
        found += optional[extra]
    return found


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: requirements.py PYPROJECT [EXTRA ...]")
    print("\n".join(requirements(sys.argv[1], sys.argv[2:])))
