"""The Arrow reader gives the frames the per-line reader gives, and falls back to it only
where Arrow's typing would differ."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.measure import jsonl
from harness.measure.jsonl import read_frame, read_frame_lines

COLUMNS = ["a", "b", "z"]


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail if `read_frame` hands its input to the per-line reader."""

    def refuse(*_: object) -> pd.DataFrame:
        raise AssertionError("fell back to the per-line reader")

    monkeypatch.setattr(jsonl, "read_frame_lines", refuse)
    yield


def _write(path: Path, rows: list[dict[str, Any]], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail, encoding="utf-8")
    return path


def _na_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Every missing value of an object or all-NA column as None. Where a row lacks a key
    pandas puts NaN (and makes an all-NA column float64), where it holds null None; Arrow
    cannot tell the two apart (documented in harness.measure.jsonl)."""
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or column.isna().all():
            frame[name] = column.astype(object).where(column.notna(), None)
    return frame


def _same(paths: list[Path], columns: list[str] = COLUMNS) -> pd.DataFrame:
    """read_frame(paths) == read_frame_lines(paths): values, dtypes, column order, index."""
    expected = read_frame_lines(paths, columns)
    got = read_frame(paths, columns)
    got_, expected_ = _na_as_none(got), _na_as_none(expected)
    pd.testing.assert_frame_equal(got_, expected_)
    for name in got.columns:  # lists must come back as lists, not numpy arrays
        assert [type(v) for v in got_[name]] == [type(v) for v in expected_[name]], name
    return got


ROWS = [
    {"a": 1, "b": "x", "n": None, "i": 3, "t": True, "l": ["CANARY-acme-1"], "f": 0.5},
    {"a": 2, "b": None, "n": None, "i": None, "t": None, "l": [], "f": 1},
    {"a": 3, "b": "y", "n": None, "i": 5, "t": False, "l": [], "f": 2.25},
]


def test_types_follow_pandas(tmp_path: Path, no_fallback: None) -> None:
    frame = _same([_write(tmp_path / "r.jsonl", ROWS)])
    assert list(frame.columns) == ["a", "b", "n", "i", "t", "l", "f", "z"]
    assert frame["a"].dtype == "int64" and frame["f"].dtype == "float64"
    assert frame["i"].dtype == "float64" and frame["i"].isna().tolist() == [False, True, False]
    assert frame["t"].tolist() == [True, None, False]  # bool with nulls: objects
    assert frame["b"].dtype == "str" and frame["b"].isna().sum() == 1
    assert frame["n"].tolist() == [None] * 3 and frame["z"].tolist() == [None] * 3
    assert frame["l"].tolist() == [["CANARY-acme-1"], [], []]


def test_torn_last_line_is_skipped(tmp_path: Path, no_fallback: None) -> None:
    path = _write(tmp_path / "r.jsonl", ROWS, tail='{"a": 4, "b": "tor')
    assert len(_same([path])) == 3


def test_last_line_without_newline_is_kept(tmp_path: Path, no_fallback: None) -> None:
    path = _write(tmp_path / "r.jsonl", ROWS[:2], tail=json.dumps(ROWS[2]))
    assert _same([path])["a"].tolist() == [1, 2, 3]


def test_long_torn_line_past_the_tail_window(tmp_path: Path, no_fallback: None) -> None:
    torn = json.dumps({"a": 9, "b": "x" * (3 * jsonl._TAIL)})[:-10]
    assert len(_same([_write(tmp_path / "r.jsonl", ROWS, tail=torn)])) == 3


@pytest.mark.parametrize("text", ["", "\n\n", '{"a": 1, "b": "tor', None])
def test_files_without_rows_give_the_columns(tmp_path: Path, text: str | None) -> None:
    path = tmp_path / "r.jsonl"
    if text is not None:
        path.write_text(text)
    frame = read_frame([path], COLUMNS)
    assert list(frame.columns) == COLUMNS and frame.empty
    assert frame.dtypes.tolist() == read_frame_lines([path], COLUMNS).dtypes.tolist()


def test_worker_files_are_merged_in_order(tmp_path: Path, no_fallback: None) -> None:
    w0 = _write(tmp_path / "r.w0.jsonl", [{"a": 1, "b": None, "l": []}])
    w1 = _write(tmp_path / "r.w1.jsonl", [{"a": 2.5, "b": "y", "l": ["c"], "extra": True}])
    frame = _same([w0, tmp_path / "r.w9.jsonl", w1])  # a missing worker file is fine
    assert frame["a"].tolist() == [1.0, 2.5] and frame["l"].tolist() == [[], ["c"]]


@pytest.mark.parametrize(
    "lines",
    [
        ['{"a": 1}', "not json", '{"a": 2}'],  # a bad line mid-file is skipped
        ['{"a": 1}', '{"a": "x"}'],  # number and string: objects
        ['{"a": true}', '{"a": 1}'],
        ['{"a": {"k": 1}}', '{"a": {"j": "v"}}'],  # dicts keep their own keys
        ['{"a": [1, 2.5]}', '{"a": []}'],  # Arrow would make floats of the ints
        ['{}', '{}'],
    ],
)
def test_other_shapes_come_out_as_pandas_builds_them(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _same([path])


def test_dicts_keep_exactly_their_keys(tmp_path: Path) -> None:
    rows = [{"a": 1, "params": {"status": 529}}, {"a": 2, "params": {"latency_ms": 100}}]
    frame = _same([_write(tmp_path / "r.jsonl", rows)])
    assert frame["params"].tolist() == [{"status": 529}, {"latency_ms": 100}]


def test_timestamp_like_strings_stay_strings(tmp_path: Path, no_fallback: None) -> None:
    rows = [{"a": "2026-11-27 17:03:09"}, {"a": "2026-11-27T17:03:09"}, {"a": None}]
    frame = _same([_write(tmp_path / "r.jsonl", rows)])
    assert frame["a"].tolist()[:2] == ["2026-11-27 17:03:09", "2026-11-27T17:03:09"]


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.lists(_TEXT, max_size=3),
    st.dictionaries(st.sampled_from("pq"), st.integers(0, 9), max_size=2),
)
_ROWS = st.lists(st.dictionaries(st.sampled_from("abcd"), _VALUES, max_size=4), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(_ROWS, min_size=1, max_size=3), torn=st.booleans())
def test_any_rows_read_as_the_per_line_reader_reads_them(
    files: list[list[dict[str, Any]]], torn: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [_write(Path(tmp) / f"r.w{i}.jsonl", rows) for i, rows in enumerate(files)]
        if torn:
            with paths[-1].open("a") as fh:
                fh.write('{"a": [1, "half')
        _same(paths)
