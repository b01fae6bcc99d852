"""deploy/ci/dockerd.sh's CPU weight for its containers, on a stand-in cgroup tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "ci" / "dockerd.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
OPTS = "--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /agent-chaos-compose"


def _opts(cgroup_root: Path, shares: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "CGROUP_ROOT": str(cgroup_root)}
    if shares is not None:
        env["COMPOSE_CPU_SHARES"] = shares
    return subprocess.run(["bash", "-c", f". {SCRIPT}; dockerd_cgroup_opts"], env=env,
                          capture_output=True, text=True, timeout=30)


def test_cgroup_v1_gets_the_weight_of_eight_services_by_default(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    done = _opts(tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == OPTS
    assert (tmp_path / "cpu" / "agent-chaos-compose" / "cpu.shares").read_text().strip() \
        == "8192"


def test_cgroup_v2_gets_the_same_weight_in_its_own_units(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    done = _opts(tmp_path, "4096")
    assert done.stdout.strip() == OPTS
    assert (tmp_path / "agent-chaos-compose" / "cpu.weight").read_text().strip() == "400"


def test_zero_keeps_dockers_default(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    done = _opts(tmp_path, "0")
    assert done.returncode == 0 and done.stdout == ""
    assert not (tmp_path / "cpu" / "agent-chaos-compose").exists()


def test_a_tree_it_cannot_write_keeps_dockers_default_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("not a directory")
    done = _opts(tmp_path / "missing", "8192")
    assert done.returncode == 0 and done.stdout == ""
    assert "Docker's default CPU weight" in done.stderr
