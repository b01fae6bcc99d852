"""Checks that span several keys of a scenario, run on the raw YAML data.

Each check validates only the pieces it needs, on its own, and skips a piece that is broken
(the schema pass reports that one). So a file with a typo in `load` still gets its SLO names
and fault windows checked: the user sees every problem in one go.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.scenario.duration import format_duration, parse_duration
from harness.scenario.fault_specs import SPEC_BY_KIND, DeployFault, FaultSpec, fault_adapter
from harness.scenario.schema import PROFILES, AgentSpec, LoadSpec
from harness.scenario.upstreams import is_upstream_name
from harness.targets.reference import reference_tenant_names

Path = tuple[str | int, ...]
Issue = tuple[Path, str]


def check(raw: dict[Any, Any]) -> list[Issue]:
    agent = _model(AgentSpec, raw.get("agent", {}))
    load = _model(LoadSpec, raw.get("load", {}))
    faults = list(_faults(raw))
    issues: list[Issue] = []
    issues += _fault_windows(raw, faults)
    issues += _fault_targets(agent, faults)
    issues += _upstream_targets(raw)
    issues += _slos(raw)
    issues += _agent_flags(agent, faults)
    issues += _tenants(raw, agent)
    issues += _expect(raw, agent)
    issues += _attack_categories(load)
    return issues


def _model(model: type[BaseModel], value: Any) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _faults(raw: dict[Any, Any]) -> Iterator[tuple[int, FaultSpec]]:
    entries = raw.get("faults")
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        try:
            yield index, fault_adapter.validate_python(entry)
        except ValidationError:
            continue


def _fault_windows(raw: dict[Any, Any], faults: list[tuple[int, FaultSpec]]) -> list[Issue]:
    try:
        duration = parse_duration(raw.get("duration"))
    except ValueError:
        return []
    issues: list[Issue] = []
    span = format_duration(duration)
    for index, fault in faults:
        if fault.at >= duration:
            issues.append((("faults", index, "at"),
                           f"starts at {format_duration(fault.at)}, not before the end of the "
                           f"scenario (duration {span})"))
        elif fault.end() > duration + 1e-9:
            issues.append((("faults", index, "for"),
                           f"ends at {format_duration(fault.end())} (at + for), after the end of "
                           f"the scenario (duration {span}); shorten `for` or omit it "
                           "(active until the end)"))
    return issues


def _fault_targets(agent: AgentSpec | None, faults: list[tuple[int, FaultSpec]]) -> list[Issue]:
    if agent is None or agent.kind == "reference":
        return []
    issues: list[Issue] = []
    for index, fault in faults:
        if fault.target != "agent":
            continue
        if agent.kind == "url" and fault.needs_started_process:
            issues.append((("faults", index, "target"),
                           f"kind {fault.kind!r} needs a process the harness started; "
                           "`agent.url` is already running"))
        elif fault.needs_reference_agent:
            issues.append((("faults", index, "kind"),
                           "kind 'deploy' restarts the reference agent with flag overrides; "
                           "not available with `agent.command`"))
    return issues


def _upstream_targets(raw: dict[Any, Any]) -> list[Issue]:
    """A network fault's target that is not built in must be one of this scenario's upstreams
    (read from the raw data, so a broken `agent` block still gets its faults checked)."""
    agent = raw.get("agent")
    declared = agent.get("upstreams") if isinstance(agent, dict) else None
    upstreams = ([n for n in declared if isinstance(n, str) and is_upstream_name(n)]
                 if isinstance(declared, dict) else [])
    entries = raw.get("faults")
    issues: list[Issue] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        kind, target = entry.get("kind"), entry.get("target")
        spec = SPEC_BY_KIND.get(kind) if isinstance(kind, str) else None
        if spec is None or not spec.upstream_targets or not isinstance(target, str):
            continue
        if target in spec.targets or target in upstreams or not is_upstream_name(target):
            continue  # built in, declared, or not a name at all (the schema reports that)
        allowed = ", ".join([*spec.targets, *upstreams])
        why = "" if upstreams else " (agent.upstreams declares none)"
        issues.append((("faults", index, "target"),
                       f"target {target!r} is not valid for kind {spec.KIND!r}; allowed: "
                       f"{allowed}{why}"))
    return issues


def _slos(raw: dict[Any, Any]) -> list[Issue]:
    slos = raw.get("slos")
    parse_slo = _optional("harness.slo", "parse_slo")
    if not isinstance(slos, dict) or parse_slo is None:
        return []
    from harness.errors import SLOError

    issues: list[Issue] = []
    for name, objective in slos.items():
        if not isinstance(name, str) or not isinstance(objective, str):
            continue  # the schema pass reports the type
        try:
            parse_slo(name, objective)
        except (SLOError, ValueError) as exc:
            issues.append((("slos", name), str(exc)))
    return issues


def _agent_flags(agent: AgentSpec | None, faults: list[tuple[int, FaultSpec]]) -> list[Issue]:
    from harness.targets.reference import validate_flags

    overrides: list[tuple[Path, dict[str, Any]]] = []
    if agent is not None:
        overrides.append((("agent", "set"), agent.set))
    overrides += [(("faults", i, "set"), f.set) for i, f in faults if isinstance(f, DeployFault)]
    issues: list[Issue] = []
    for path, mapping in overrides:
        for flag, value in mapping.items():  # one at a time, to report every bad flag
            try:
                validate_flags({flag: value})
            except ValueError as exc:
                issues.append(((*path, flag), str(exc)))
    return issues


def _tenants(raw: dict[Any, Any], agent: AgentSpec | None) -> list[Issue]:
    load = raw.get("load")
    if agent is None or not isinstance(load, dict):
        return []
    known = tuple(agent.tenants) if agent.tenants else reference_tenant_names()
    tenants = load.get("tenants", LoadSpec().tenants)
    # (where a problem is reported, name): at the name of a share, at the index in a list
    named: list[tuple[Any, Any]] = (
        [(name, name) for name in tenants] if isinstance(tenants, dict)
        else list(enumerate(tenants)) if isinstance(tenants, list) else []
    )  # fmt: skip
    tenants = [name for _, name in named]
    issues: list[Issue] = [
        (("load", "tenants", at), f"unknown tenant {name!r}; allowed: {', '.join(known)}")
        for at, name in named if isinstance(name, str) and name not in known
    ]
    attacks = load.get("attacks")
    attackers = attacks.get("tenants") if isinstance(attacks, dict) else None
    if isinstance(attackers, list):
        issues += [
            (("load", "attacks", "tenants", i),
             f"tenant {name!r} is not one of load.tenants: {', '.join(map(str, tenants))}")
            for i, name in enumerate(attackers) if isinstance(name, str) and name not in tenants
        ]
    return issues


def _attack_categories(load: LoadSpec | None) -> list[Issue]:
    if load is None or load.attacks is None or not load.attacks.categories:
        return []
    merged_corpus = _optional("harness.load.attacks", "merged_corpus")
    corpus = load.attacks.corpus
    if merged_corpus is None or isinstance(corpus, str):
        return []  # a corpus file that could not be read: reported at its own lines
    merged = merged_corpus(corpus, load.attacks.builtin)
    known = sorted({attack.category for attack in merged.select(kind="direct")})
    return [
        (("load", "attacks", "categories", i),
         f"unknown attack category {name!r}; allowed: {', '.join(known)}")
        for i, name in enumerate(load.attacks.categories) if name not in known
    ]


def _expect(raw: dict[Any, Any], agent: AgentSpec | None) -> list[Issue]:
    expect = raw.get("expect")
    if agent is None or not isinstance(expect, dict):
        return []
    allowed = PROFILES if agent.kind == "reference" else ("own",)
    why = "the reference agent's profiles" if agent.kind == "reference" else "your own agent"
    return [
        (("expect", key), f"key {key!r} does not fit {why}; allowed: {', '.join(allowed)}")
        for key in expect if key in ("naive", "hardened", "own") and key not in allowed
    ]


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A validator of another component, or None while that component is not installed."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
