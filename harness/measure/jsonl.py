"""JSON-lines files to DataFrames: pyarrow's multi-threaded reader, with the per-line reader
as the exact reference it falls back to.

`read_frame(paths, columns)` gives the frame the per-line reader gives (`json.loads` per line,
then `pd.DataFrame(rows)`): same columns in the same order, same dtypes (ints with nulls are
floats, bools with nulls objects, all-null columns objects of None, strings pandas' `str`),
lists as Python lists. Arrow's inference differs from pandas' on some inputs; those are
detected from the schema or from Arrow's own errors and handed to the per-line reader:

- a line that is not JSON anywhere but at the very end (a torn last line, left by a killed
  writer, is cut off before parsing instead),
- mixed types in one column (string and number, bool and number), non-object lines,
- objects (Arrow merges their keys over all rows: `{"a": 1}` would come back as
  `{"a": 1, "b": None}`), lists of anything but strings (Arrow turns `[1, 2.5]` into floats).

Strings Arrow took for timestamps are read again as strings (Arrow keeps their text).
Known differences, none of which the run directory's writers produce (they write every
field of every row): integers beyond int64 come back as floats; where a row lacks a key that
others have, pandas puts NaN (and makes a column of only nulls and missing values float64)
while Arrow cannot tell missing from null: object columns (bools with nulls, lists, only
nulls) hold None there. Either way the value is NA.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

__all__ = ["read_frame", "read_frame_lines", "read_jsonl"]

_TAIL = 1 << 16  # bytes read from the end of a file to find its last newline


class _Unsupported(Exception):
    """This input needs the per-line reader to come out as pandas would build it."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file; lines that are not JSON (a torn last line: the writer was
    killed) are skipped; a missing file has no rows."""
    rows: list[dict[str, Any]] = []
    if not path.exists():
        return rows
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def with_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """`frame` plus every column of `columns` it lacks, all None (empty frames keep them)."""
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    return frame


def read_frame_lines(paths: Sequence[Path], columns: Sequence[str]) -> pd.DataFrame:
    """The reference reader: `json.loads` per line, then one `pd.DataFrame` of all rows."""
    rows: list[dict[str, Any]] = []
    for path in paths:
        rows.extend(read_jsonl(path))
    return with_columns(pd.DataFrame(rows), columns)


def read_frame(paths: Sequence[Path], columns: Sequence[str]) -> pd.DataFrame:
    """The rows of `paths` (in order) as one frame, as `read_frame_lines` builds it, fast."""
    try:
        tables = [t for t in (_read_table(p) for p in paths if p.exists()) if t is not None]
        if not tables:
            return with_columns(pd.DataFrame(), columns)
        table = tables[0] if len(tables) == 1 else _concat(tables)
        return with_columns(_to_pandas(table), columns)
    except _Unsupported:
        return read_frame_lines(paths, columns)


def _complete_length(path: Path) -> int:
    """Bytes of `path` up to the end of its last complete line; an unterminated last line
    counts only if it parses on its own (a torn one does not)."""
    size = path.stat().st_size
    start, newline, tail, window = size, -1, b"", _TAIL
    with path.open("rb") as fh:
        while start > 0 and newline < 0:  # double the window until it holds a newline
            start, window = max(0, size - window), window * 2
            fh.seek(start)
            tail = fh.read(size - start)
            newline = tail.rfind(b"\n")
    last = tail[newline + 1 :]
    if not last.strip():
        return size
    try:
        json.loads(last)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both
        return start + newline + 1
    return size


def _read_table(path: Path) -> pa.Table | None:
    """`path` parsed by Arrow (None if it holds no rows); `_Unsupported` where Arrow's
    reading would differ from pandas'."""
    length = _complete_length(path)
    if length == 0:
        return None
    with pa.memory_map(str(path)) as source:
        # zero-copy: Arrow parses the mapped file in place, the torn tail left out
        data = source.read_buffer(length)
        try:
            table = pa_json.read_json(pa.BufferReader(data))
            if any(pa.types.is_timestamp(f.type) for f in table.schema):
                schema = pa.schema(
                    f.with_type(pa.string()) if pa.types.is_timestamp(f.type) else f
                    for f in table.schema
                )
                parse = pa_json.ParseOptions(explicit_schema=schema)
                table = pa_json.read_json(pa.BufferReader(data), parse_options=parse)
        except pa.ArrowInvalid as exc:  # bad line mid-file, mixed types, non-object line...
            raise _Unsupported(str(exc)) from exc
    if table.num_columns == 0:
        if table.num_rows:  # "{}" lines: rows without fields, too rare to convert here
            raise _Unsupported("rows without fields")
        return None
    _check_types(table.schema)
    return table


def _scalar_type(t: pa.DataType) -> bool:
    return (
        pa.types.is_null(t) or pa.types.is_boolean(t) or pa.types.is_int64(t)
        or pa.types.is_float64(t) or pa.types.is_string(t)
    )  # fmt: skip


def _check_types(schema: pa.Schema) -> None:
    for field in schema:
        t = field.type
        if _scalar_type(t):
            continue
        if pa.types.is_list(t) and (
            pa.types.is_string(t.value_type) or pa.types.is_null(t.value_type)
        ):
            continue
        raise _Unsupported(f"column {field.name!r} is {t}")


def _concat(tables: list[pa.Table]) -> pa.Table:
    """Worker files end to end; their schemas unified the way pandas would type the union."""
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # e.g. string in one, number in another
        raise _Unsupported(str(exc)) from exc
    _check_types(table.schema)
    return table


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Scalars through Arrow's conversion (pandas' dtypes); lists as Python lists, as
    `json.loads` gives them (Arrow would give numpy arrays)."""
    lists = {i: f.name for i, f in enumerate(table.schema) if pa.types.is_list(f.type)}
    values = {name: table.column(name).to_pylist() for name in lists.values()}
    frame = table.drop_columns(list(lists.values())).to_pandas(split_blocks=True)
    for i, name in lists.items():
        frame.insert(i, name, pd.Series(values[name], dtype=object, index=frame.index))
    return frame
