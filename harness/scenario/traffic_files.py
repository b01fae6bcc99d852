"""Read the files a scenario's `load` names (prompts, sessions, an attack corpus), with every
problem at that file's path and line.

Formats, by extension: `.jsonl` / `.ndjson` (one entry per line: a JSON object, or a string
for a bare prompt), `.csv` (prompts only: a header row naming `text` and any of `task`,
`tenant`, `weight`), `.yaml` / `.yml` / `.json` (a list of entries; a corpus is a mapping like
harness/load/attacks.yaml). A file that reads clean has its entries put in place of its name,
so the scenario validates them as if inline (and `scenario.yaml` of a run holds them).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from harness.errors import Problem, ScenarioError
from harness.load.attacks import Corpus, load_corpus
from harness.scenario import loader
from harness.scenario.schema import LoadSpec
from harness.scenario.traffic import SPECS, Issue, entry_issues, load_issues

JSONL, CSV, YAML = (".jsonl", ".ndjson"), (".csv",), (".yaml", ".yml", ".json")
CSV_COLUMNS = ("text", "task", "tenant", "weight")


def resolve_traffic(raw: Any, base: Path) -> tuple[Any, list[Problem], list[Issue]]:
    """(`raw` with each file-valued key of `load` replaced by its entries, the files'
    problems, issues of the inline entries at their paths in the scenario)."""
    load = raw.get("load") if isinstance(raw, dict) else None
    if not isinstance(load, dict):
        return raw, [], []
    tenants = _tenants(load)
    load = dict(load)
    problems: list[Problem] = []
    issues: list[Issue] = []
    for key in ("prompts", "sessions"):
        value = load.get(key)
        if isinstance(value, str):
            entries, found = read_entries(base / value, key, tenants)
            problems += found
            if entries is not None:
                load[key] = entries
        elif isinstance(value, list):
            issues += [(("load", key, *path), m) for path, m in entry_issues(key, value, tenants)]
    attacks = load.get("attacks")
    if isinstance(attacks, dict) and isinstance(attacks.get("corpus"), str):
        builtin = attacks.get("builtin", True) is not False
        corpus, found = read_corpus(base / attacks["corpus"], builtin)
        problems += found
        if corpus is not None:
            load["attacks"] = {**attacks, "corpus": corpus}
    issues += [(("load", *path), m) for path, m in load_issues(load, tenants)]
    return {**raw, "load": load}, problems, issues


def _tenants(load: dict[str, Any]) -> list[str]:
    tenants = load.get("tenants", LoadSpec().tenants)
    names = list(tenants) if isinstance(tenants, dict | list) else []
    return [n for n in dict.fromkeys(names) if isinstance(n, str)]


# --- one file -------------------------------------------------------------------------------


def read_entries(
    path: Path, key: str, tenants: list[str]
) -> tuple[list[Any] | None, list[Problem]]:
    """The entries of a prompts or sessions file as plain data (None when it has problems)."""
    file = str(path)
    text, problem = _read(path)
    if problem:
        return None, [problem]
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    try:
        if suffix in JSONL:
            doc, problems = _jsonl(text, file)
        elif suffix in CSV and key == "prompts":
            doc = _csv(text, file)
        elif suffix in YAML:
            doc = loader._parse_yaml(text, file)
        else:
            kinds = (".jsonl, .csv, .yaml" if key == "prompts"
                     else ".jsonl, .yaml (a session's turns are a list: no CSV)")
            return None, [Problem(file, None, None, "", f"cannot tell the format of {key} "
                                  f"from the name; use {kinds}")]
    except ScenarioError as exc:
        return None, exc.problems
    if not isinstance(doc.data, list) or not (doc.data or problems):
        what = "empty" if not doc.data else f"a {type(doc.data).__name__}"
        return None, [Problem(file, 1, 1, "", f"a {key} file holds a list of {key}; got {what}")]
    root = list[SPECS[key]]  # type: ignore[valid-type]
    try:
        TypeAdapter(root).validate_python(doc.data)
    except ValidationError as exc:
        problems += [loader._problem(file, doc, error, root) for error in exc.errors()]
    problems += [loader._at(file, doc, path, message, key=False)
                 for path, message in entry_issues(key, doc.data, tenants)]
    return (None if problems else doc.data), loader._sorted_unique(problems)


def read_corpus(path: Path, builtin: bool) -> tuple[dict[str, Any] | None, list[Problem]]:
    """An attack corpus file as plain data, checked like the built-in one (and, joining it,
    for payload ids the built-in corpus already has)."""
    file = str(path)
    text, problem = _read(path)
    if problem:
        return None, [problem]
    try:
        doc = loader._parse_yaml(text, file)
    except ScenarioError as exc:
        return None, exc.problems
    data = doc.data
    if not isinstance(data, dict):
        return None, [Problem(file, 1, 1, "", "an attack corpus is a mapping with `categories` "
                              "and `attacks`, like harness/load/attacks.yaml")]
    issues = _corpus_issues(data, load_corpus() if builtin else None)
    problems = [loader._at(file, doc, p, m, key=False) for p, m in issues]
    try:
        Corpus.model_validate(data)
    except ValidationError as exc:
        problems += [loader._problem(file, doc, error, Corpus) for error in exc.errors()
                     if error["loc"] or not issues]  # whole-corpus errors: reported above
    return (None if problems else data), loader._sorted_unique(problems)


def _corpus_issues(data: dict[str, Any], builtin: Corpus | None) -> list[Issue]:
    """Duplicate ids and undocumented categories at the payload that has them."""
    attacks = data.get("attacks")
    categories = data.get("categories")
    if not isinstance(attacks, list):
        return []
    documented = set(categories) if isinstance(categories, dict) else set()
    taken = {a.id for a in builtin.attacks} if builtin else set()
    seen: set[str] = set()
    issues: list[Issue] = []
    for i, entry in enumerate(attacks):
        if not isinstance(entry, dict):
            continue
        ident, category = entry.get("id"), entry.get("category")
        if isinstance(ident, str):
            if ident in seen:
                issues.append((("attacks", i, "id"), f"duplicate attack id {ident!r}"))
            elif ident in taken:
                issues.append((("attacks", i, "id"), f"attack id {ident!r} is already in the "
                               "built-in corpus (pick another, or `builtin: false`)"))
            seen.add(ident)
        if isinstance(category, str) and category not in documented:
            issues.append((("attacks", i, "category"), f"category {category!r} is not documented "
                           "under `categories` of this file"))
    return issues


def _read(path: Path) -> tuple[str, Problem | None]:
    try:
        return path.read_bytes().decode("utf-8"), None
    except OSError as exc:
        return "", Problem(str(path), None, None, "", f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return "", Problem(str(path), None, None, "", f"not UTF-8 text (byte {exc.start})")


def _jsonl(text: str, file: str) -> tuple[loader._Document, list[Problem]]:
    """The lines that are JSON (entries numbered in order), and a problem per line that is
    not."""
    doc = loader._Document(data=[])
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(file, number, exc.colno, "", f"not JSON: {exc.msg}"))
            continue
        index = len(doc.data)
        doc.values[(index,)] = (number, 1)
        if isinstance(entry, dict):
            for key in entry:
                at = line.find(json.dumps(key))
                doc.keys[(index, key)] = (number, at + 1 if at >= 0 else 1)
        doc.data.append(entry)
    return doc, problems


def _csv(text: str, file: str) -> loader._Document:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    doc = loader._Document(data=[])
    columns = reader.fieldnames or []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if "text" not in columns or unknown:
        what = f"unknown columns {unknown}" if unknown else "no `text` column"
        raise ScenarioError([Problem(file, 1, 1, "", f"{what}; the header row names `text` "
                                     f"and any of {', '.join(CSV_COLUMNS[1:])}")])
    start = reader.line_num + 1
    for row in reader:
        if None in row:  # more cells than the header names
            raise ScenarioError([Problem(file, start, None, "", f"{len(columns) + len(row[None])} "
                                         f"cells; the header names {len(columns)}")])
        index = len(doc.data)
        doc.values[(index,)] = (start, 1)
        # an empty cell is a value left out (the default applies)
        doc.data.append({k: v for k, v in row.items() if v not in (None, "")})
        start = reader.line_num + 1
    return doc


# --- to the load generator ------------------------------------------------------------------


def resolved_load(load: LoadSpec, base: Path) -> LoadSpec:
    """`load` with the files it still names read (a scenario built without the loader);
    raises ScenarioError with their problems."""
    attacks = load.attacks
    if not any(isinstance(v, str) for v in (load.prompts, load.sessions,
                                            attacks.corpus if attacks else None)):
        return load
    own = load.prompts is not None or load.sessions is not None
    raw = {"load": load.model_dump(mode="json", exclude_none=True,
                                   exclude={"mix"} if own else None)}
    data, problems, issues = resolve_traffic(raw, base)
    problems += [Problem("<scenario>", None, None, loader._dotted(p), m) for p, m in issues]
    if problems:
        raise ScenarioError(problems)
    return LoadSpec.model_validate(data["load"])


def load_traffic_fields(load: LoadSpec) -> dict[str, Any]:
    """The `LoadConfig` fields of what users send: `mix`, or `prompts` and `sessions`
    (files already read: `resolved_load`)."""
    from harness.load.scripts import Prompt, Session, Turn

    if load.prompts is None and load.sessions is None:
        return {"mix": dict(load.mix)}
    if isinstance(load.prompts, str) or isinstance(load.sessions, str):
        raise ValueError("resolve the files of `load` first (resolved_load)")
    return {
        "prompts": [Prompt(text=p.text, task=p.task, tenant=p.tenant, weight=p.weight)
                    for p in load.prompts or []],
        "sessions": [Session(name=s.name, weight=s.weight, tenant=s.tenant,
                             turns=tuple(Turn(text=t.text, think_s=t.think) for t in s.turns))
                     for s in load.sessions or []],
    }  # fmt: skip
