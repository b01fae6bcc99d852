"""load_run: the contract's files to frames, exactly as the per-line reader built them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.measure import load_run
from harness.measure.jsonl import read_frame_lines
from harness.measure.run_data import (
    FAULT_COLUMNS,
    LLM_CALL_COLUMNS,
    REQUEST_COLUMNS,
    TOOL_CALL_COLUMNS,
    _load,
)
from harness.measure.synthetic import synthetic_run, write_run

FRAMES = ("requests", "llm_calls", "tool_calls", "faults")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = synthetic_run(4_000, seed=7, attack_share=0.2, leak_probability=0.5)
    return write_run(data, tmp_path_factory.mktemp("run") / "run")


def test_frames_equal_the_per_line_reader(run_dir: Path) -> None:
    new, old = load_run(run_dir), _load(run_dir, read_frame_lines)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(new, name), getattr(old, name), obj=name)
    assert (new.run, new.slo, new.alerts) == (old.run, old.slo, old.alerts)
    assert new.fault_windows() == old.fault_windows()


def test_lists_and_dicts_survive(run_dir: Path) -> None:
    data = load_run(run_dir)
    leaked = data.requests["leaked_canaries"]
    assert all(type(v) is list for v in leaked)
    assert (leaked.map(len) > 0).sum() > 10
    assert all(v[0].startswith("CANARY-") for v in leaked if v)
    assert data.faults["params"].tolist() == [{"status": 529}, {"status": 529}]


def test_a_killed_writer_leaves_a_loadable_run(run_dir: Path, tmp_path: Path) -> None:
    torn = tmp_path / "torn"
    torn.mkdir()
    for name in ("requests", "llm_calls", "tool_calls", "faults"):
        text = (run_dir / f"{name}.jsonl").read_text()
        (torn / f"{name}.jsonl").write_text(text + text.splitlines()[-1][:25])
    whole, data = load_run(run_dir), load_run(torn)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(data, name), getattr(whole, name), obj=name)


def test_missing_and_empty_files_give_the_contract_columns(tmp_path: Path) -> None:
    (tmp_path / "llm_calls.jsonl").write_text("")
    (tmp_path / "tool_calls.jsonl").write_text('{"ts": 1.0, "tool": "kb_se')  # torn, alone
    data = load_run(tmp_path)
    for name, columns in zip(
        FRAMES, (REQUEST_COLUMNS, LLM_CALL_COLUMNS, TOOL_CALL_COLUMNS, FAULT_COLUMNS),
        strict=True,
    ):
        frame = getattr(data, name)
        assert frame.empty and list(frame.columns) == columns, name
    assert (data.run, data.slo, data.alerts) == ({}, None, None)
    assert data.fault_windows() == []


def test_worker_files_are_merged(run_dir: Path, tmp_path: Path) -> None:
    rows = (run_dir / "requests.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "requests.w0.jsonl").write_text("".join(rows[::2]))
    (tmp_path / "requests.w1.jsonl").write_text("".join(rows[1::2]))
    # a worker that only ever saw attacks, with one more field: still one frame
    extra = {**json.loads(rows[0]), "request_id": "w2-0", "note": "late worker"}
    (tmp_path / "requests.w2.jsonl").write_text(json.dumps(extra) + "\n")
    new = load_run(tmp_path).requests
    old = _load(tmp_path, read_frame_lines).requests
    pd.testing.assert_frame_equal(new, old)
    assert len(new) == len(rows) + 1 and list(new.columns) == [*REQUEST_COLUMNS, "note"]
    assert new["request_id"].iloc[1] == json.loads(rows[2])["request_id"]  # w0 first, in order
