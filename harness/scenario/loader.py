"""Load scenario files, reporting every problem as `file:line:col: path: message`.

ruamel.yaml's round-trip loader keeps the line and column of every key and item. The YAML is
turned into plain data plus a table `path -> position`; pydantic validates the plain data and
each error's location is walked back through that table. Then `checks.py` adds the problems
that span several keys. Everything found is raised at once in one ScenarioError.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Tag, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from harness.errors import Problem, ScenarioError
from harness.scenario.checks import check
from harness.scenario.fault_specs import FAULT_KINDS, SPEC_BY_KIND
from harness.scenario.schema import Scenario

KeyPath = tuple[Any, ...]
Position = tuple[int, int]  # 1-based line, column


@dataclass
class _Document:
    """Plain data of a YAML file and where each key and value sits in it."""

    data: Any = None
    keys: dict[KeyPath, Position] = field(default_factory=dict)
    values: dict[KeyPath, Position] = field(default_factory=dict)

    def where(self, path: KeyPath, *, key: bool) -> Position | None:
        """Position of `path` (its key, or else its value), or of its nearest ancestor."""
        for length in range(len(path), -1, -1):
            prefix = path[:length]
            tables = (self.keys, self.values) if key else (self.values, self.keys)
            for table in tables:
                if prefix in table:
                    return table[prefix]
        return None


class _Recursive(Exception):
    """An alias refers to one of its own ancestors: the data would be infinite."""

    def __init__(self, path: KeyPath, position: Position | None) -> None:
        self.path = path
        self.position = position


# --- public API -----------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file. Raises ScenarioError listing every problem."""
    file = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        problem = Problem(file, None, None, "", f"cannot read: {exc.strerror}")
        raise ScenarioError([problem]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(file, None, None, "", f"not UTF-8 text (byte {exc.start})")]
        ) from None
    scenario = parse_scenario(text, file)
    scenario._source = Path(path)
    return scenario


def parse_scenario(text: str, file: str = "<string>", base_dir: str | Path | None = None
                   ) -> Scenario:
    """Validate scenario YAML given as text; `file` is used in messages and, unless
    `base_dir` is given, its folder is where relative file names (`load.prompts`, ...) are
    read from (the current directory for `<string>`)."""
    # imported here: the traffic files are read with this module's YAML and error helpers
    from harness.scenario.traffic_files import resolve_traffic

    doc = _parse_yaml(text, file)
    if doc.data is None:
        raise ScenarioError([Problem(file, 1, 1, "", "empty file; a scenario needs at least "
                                     "`name`, `title` and `duration`")])
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise ScenarioError([Problem(file, 1, 1, "", f"a scenario must be a mapping of keys "
                                     f"(name, title, duration, ...), got a {kind}")])
    problems: list[Problem] = []
    scenario: Scenario | None = None
    if base_dir is None:
        base_dir = Path.cwd() if file.startswith("<") else Path(file).parent
    # the files `load` names, read and checked (their problems at their own lines), their
    # entries in place of the names; issues across entries given inline, at the scenario's
    data, file_problems, issues = resolve_traffic(doc.data, Path(base_dir))
    problems += file_problems
    problems += [_at(file, doc, path, message, key=False) for path, message in issues]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += [_problem(file, doc, error) for error in exc.errors()]
    for path, message in check(data):
        problems.append(_at(file, doc, path, message, key=False))
    if problems or scenario is None:  # the scenario's own problems first, then each file's
        in_order = _sorted_unique(problems)
        raise ScenarioError(sorted(in_order, key=lambda p: (p.file != file, p.file)))
    return scenario


def load_scenarios(paths: Iterable[str | Path]) -> list[Scenario]:
    """Load files and directories (their *.yaml and *.yml); one ScenarioError for all problems."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in scenario_files(paths):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return scenarios


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, with each directory replaced by its *.yaml / *.yml files, sorted."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


# --- YAML to plain data with positions --------------------------------------------------------


def _parse_yaml(text: str, file: str) -> _Document:
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        problem = Problem(file, line, column, "", f"YAML syntax error: {what}")
        raise ScenarioError([problem]) from None
    except YAMLError as exc:  # e.g. a control character: ReaderError carries an offset
        offset = getattr(exc, "position", None)
        line = text.count("\n", 0, offset) + 1 if isinstance(offset, int) else None
        raise ScenarioError([Problem(file, line, None, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, None, None, "", "YAML nested too deeply")]) from None
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        # ruamel's constructors can fail this way on malformed tagged scalars (`!!int 0x`).
        problem = Problem(file, None, None, "", f"YAML error: cannot read a value ({exc!r})")
        raise ScenarioError([problem]) from None
    doc = _Document()
    try:
        doc.data = _plain(node, (), doc, ())
    except _Recursive as exc:
        line, column = exc.position or (None, None)
        raise ScenarioError([Problem(file, line, column, _dotted(exc.path),
                                     "alias refers to itself (recursive data)")]) from None
    return doc


def _plain(node: Any, path: KeyPath, doc: _Document, ancestors: tuple[int, ...]) -> Any:
    if isinstance(node, dict | list) and id(node) in ancestors:
        raise _Recursive(path, doc.where(path, key=False))
    inner = (*ancestors, id(node))
    lc = getattr(node, "lc", None) if isinstance(node, CommentedBase) else None
    spots: dict[Any, list[int]] = (getattr(lc, "data", None) or {}) if lc is not None else {}
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for raw_key, value in node.items():
            key = _plain_key(raw_key)
            spot = spots.get(raw_key) if _hashable(raw_key) else None
            if spot is not None and len(spot) >= 4:
                doc.keys[(*path, key)] = (spot[0] + 1, spot[1] + 1)
                doc.values[(*path, key)] = (spot[2] + 1, spot[3] + 1)
            out[key] = _plain(value, (*path, key), doc, inner)
        return out
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            spot = spots.get(index)
            if spot is not None and len(spot) >= 2:
                doc.values[(*path, index)] = (spot[0] + 1, spot[1] + 1)
            items.append(_plain(value, (*path, index), doc, inner))
        return items
    return _plain_scalar(node)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _plain_scalar(node: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, LiteralScalarString, ...) as builtins."""
    if isinstance(node, TaggedScalar):
        return str(node.value)
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node  # None, dates, timestamps, bytes (`!!binary`): the schema reports them


def _plain_key(key: Any) -> Any:
    plain = _plain_scalar(key)
    if plain is None or isinstance(plain, bool | int | float | str):
        return plain
    return str(plain)  # a sequence or mapping used as a key (`? [a, b]`): never valid anyway


# --- pydantic errors to problems ------------------------------------------------------------


def _problem(file: str, doc: _Document, error: Any, root: Any = Scenario) -> Problem:
    """`error` of validating `doc.data` with `root` (a model, or e.g. list[Model])."""
    kind = error["type"]
    path, missing = _walk(error["loc"], doc.data)
    message = _message(error, path, missing, root)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        path = (*path, "kind")
    if path and path[-1] == "[key]":
        path = path[:-1]
        return _at(file, doc, path, message, key=True)
    return _at(file, doc, path, message, key=kind in ("extra_forbidden", "missing"))


def _walk(loc: tuple[Any, ...], data: Any) -> tuple[KeyPath, bool]:
    """The data path of a pydantic error location (union tags dropped); True if the last key
    is missing from the data."""
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "[key]":
            path.append(part)
        elif _is_fault_tag(path, node, part):
            continue
        elif _has_key(node, part):
            path.append(part)
            node = node[part]
        elif last:
            path.append(part)
            return tuple(path), True
    return tuple(path), False


def _is_fault_tag(path: list[Any], node: Any, part: Any) -> bool:
    return (len(path) == 2 and path[0] == "faults" and isinstance(node, dict)
            and node.get("kind") == part)


def _has_key(node: Any, key: Any) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and 0 <= key < len(node)
    try:
        return isinstance(node, dict) and key in node
    except TypeError:  # an unhashable location part
        return False


def _message(error: Any, path: KeyPath, missing: bool, root: Any = None) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    key = path[-1] if path else ""
    if kind == "extra_forbidden":
        model = _model_at(error["loc"][:-1], Scenario if root is None else root)
        allowed = ", ".join(sorted(_aliases(model))) if model else "?"
        return f"unknown key {key!r}; allowed: {allowed}"
    if kind == "missing":
        return f"missing required key {key!r}"
    if kind == "union_tag_invalid":
        return f"unknown fault kind {ctx.get('tag')!r}; allowed: {', '.join(FAULT_KINDS)}"
    if kind == "union_tag_not_found":
        return f"missing required key 'kind'; allowed: {', '.join(FAULT_KINDS)}"
    if kind in ("literal_error", "enum"):
        allowed = ", ".join(re.sub(r"^'|'$", "", x) for x in re.split(r", | or ", ctx["expected"]))
        what = "unknown key" if key == "[key]" else "invalid value"
        return f"{what} {_show(value)}; allowed: {allowed}"
    if kind in ("value_error", "assertion_error"):
        return re.sub(r"^(Value error|Assertion failed), ", "", error["msg"])
    return f"{error['msg']}; got {_show(value)}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str | int | float | bool) or value is None else (
        type(value).__name__)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(loc: tuple[Any, ...], root: Any = Scenario) -> type[BaseModel] | None:
    """The pydantic model that validates the value at a pydantic error location."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if _is_union(current):
            tagged = _tagged_member(current, part)
            if tagged is not None:
                current = tagged  # a discriminated union: the location names the tag
                continue
            if part not in SPEC_BY_KIND:
                return None
            current = SPEC_BY_KIND[part]  # the location names the fault kind chosen
        elif isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(info.alias or name): info for name, info in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif typing.get_origin(current) in (list, tuple):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif _is_union(annotation):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _tagged_member(union: Any, tag: Any) -> Any:
    """The member of a union annotated with pydantic's `Tag(tag)`, if any."""
    for member in typing.get_args(union):
        if typing.get_origin(member) is typing.Annotated and any(
            isinstance(m, Tag) and m.tag == tag for m in member.__metadata__
        ):
            return member
    return None


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _aliases(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


# --- assembling problems ------------------------------------------------------------------


def _at(file: str, doc: _Document, path: KeyPath, message: str, *, key: bool) -> Problem:
    line, column = doc.where(path, key=key) or (1, 1)
    return Problem(file, line, column, _dotted(path), message)


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else (
            f".{part}" if text else str(part))
    return text


def _sorted_unique(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0))
