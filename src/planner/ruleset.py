"""The rule set: which rules hold, with which parameters, and what each preference weighs.

A rule set is a TOML file (the default is ``constraints/yuncheng.toml``). Every key is
validated: an unknown key, a wrong type or a value out of range is a :class:`PlannerError`
naming the file and the dotted key.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PlannerError
from .textio import read_toml

TOP_KEYS = {"name", "description", "source", "streams", "rules", "preferences"}
STREAM_KEYS = {"sites"}


@dataclass
class RuleSet:
    name: str
    streams: dict[str, tuple[str, ...]]
    rules: list  # list[Rule], hard rules in file order
    preferences: list  # list[Preference]
    source: str = ""
    doc: dict = field(default_factory=dict)

    def rule(self, name: str):
        for r in self.rules + self.preferences:
            if r.name == name:
                return r
        return None

    def all(self) -> list:
        return list(self.rules) + list(self.preferences)

    def digest(self) -> str:
        """Hash of the effective rule set (after inheritance), for the run summary."""
        blob = json.dumps(self.doc, sort_keys=True, default=str, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


def default_ruleset_path() -> Path:
    """The embedded ``constraints/yuncheng.toml``, or the file the environment variable ``PLANNER_RULES`` names.

    The test suite points ``PLANNER_RULES`` at its own copy (``tests/data/yuncheng_2024.toml``), so that the
    live configuration can gain or change a rule without moving the figures the tests calibrate on 2024.
    """
    from .data import constraints_dir

    return Path(os.environ.get("PLANNER_RULES") or constraints_dir() / "yuncheng.toml")


def load_ruleset(path: str | Path | None = None, catalogue=None) -> RuleSet:
    p = Path(path) if path else default_ruleset_path()
    return ruleset_from_dict(read_toml(p), p, catalogue)


def _check_type(value: Any, spec, file, key: str) -> None:
    types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if int in types and float in types and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        names = " or ".join(t.__name__ for t in types)
        raise PlannerError(f"expected {names}, got {type(value).__name__} {value!r}", file=file, field=key)
    spec.check_number(value, file, key)
    if spec.items is not None and isinstance(value, dict):
        for k, v in value.items():
            _check_type(v, spec.items, file, f"{key}.{k}")


def ruleset_from_dict(doc: dict, file, catalogue=None) -> RuleSet:
    """Validate a rule-set document (already merged, for scenarios) and build the rule objects.

    Each parameter is checked here against its declared type and range; checks that need the
    catalogue and the calendar run when the problem is compiled (``planner.problem.validate``).
    """
    from .rules import PREFERENCES, RULES
    from .rules.base import REQUIRED, WEIGHT_MAX

    doc = copy.deepcopy(doc)
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise PlannerError(f"unknown key {sorted(unknown)[0]!r}", file=file, field=sorted(unknown)[0])
    streams: dict[str, tuple[str, ...]] = {}
    sdoc = doc.get("streams", {})
    if not isinstance(sdoc, dict) or not sdoc:
        raise PlannerError("needs a [streams.<id>] table for each stream", file=file, field="streams")
    for sid, conf in sdoc.items():
        key = f"streams.{sid}"
        if catalogue is not None and sid not in catalogue.streams:
            raise PlannerError(f"unknown stream {sid!r}", file=file, field=key)
        if not isinstance(conf, dict):
            raise PlannerError("must be a table", file=file, field=key)
        bad = set(conf) - STREAM_KEYS
        if bad:
            raise PlannerError(f"unknown key {sorted(bad)[0]!r}", file=file, field=f"{key}.{sorted(bad)[0]}")
        sites = conf.get("sites", [])
        if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
            raise PlannerError("must be a list of institution ids", file=file, field=f"{key}.sites")
        if len(set(sites)) != len(sites):
            raise PlannerError("lists a site twice", file=file, field=f"{key}.sites")
        if catalogue is not None:
            for s in sites:
                if s not in catalogue.institutions:
                    raise PlannerError(f"unknown institution {s!r}", file=file, field=f"{key}.sites")
        streams[sid] = tuple(sites)

    def build(section: str, registry: dict) -> list:
        out = []
        sec = doc.get(section, {})
        if not isinstance(sec, dict):
            raise PlannerError("must be a table", file=file, field=section)
        for rname, params in sec.items():
            key = f"{section}.{rname}"
            if rname not in registry:
                raise PlannerError(f"unknown {section[:-1]} {rname!r} (known: {', '.join(sorted(registry))})",
                                   file=file, field=key)
            if not isinstance(params, dict):
                raise PlannerError("must be a table", file=file, field=key)
            cls = registry[rname]
            params = dict(params)
            enabled = params.pop("enabled", True)
            if not isinstance(enabled, bool):
                raise PlannerError("expected true or false", file=file, field=f"{key}.enabled")
            kwargs: dict[str, Any] = {}
            if section == "preferences":
                w = params.pop("weight", None)
                if not isinstance(w, int) or isinstance(w, bool) or not 0 <= w <= WEIGHT_MAX:
                    raise PlannerError(f"weight must be a whole number in [0, {WEIGHT_MAX}], got {w!r}", file=file,
                                       field=f"{key}.weight")
                kwargs["weight"] = w
            for pk, pv in params.items():
                if pk not in cls.PARAMS:
                    allowed = ", ".join(sorted(cls.PARAMS)) or "none"
                    raise PlannerError(f"unknown key {pk!r} (allowed: {allowed})", file=file, field=f"{key}.{pk}")
                _check_type(pv, cls.PARAMS[pk], file, f"{key}.{pk}")
                kwargs[pk] = pv
            if not enabled:
                continue
            for pk, spec in cls.PARAMS.items():
                if pk not in kwargs and spec.default is REQUIRED:
                    raise PlannerError(f"missing {pk}: {spec.doc} (a fact of the bureau's, which the rule set "
                                       f"states: it has no default)", file=file, field=f"{key}.{pk}")
            out.append(cls(**kwargs))
        return out

    rules = build("rules", RULES)
    prefs = build("preferences", PREFERENCES)
    return RuleSet(str(doc.get("name", Path(str(file)).stem)), streams, rules, prefs, str(file), doc)


def deep_merge(base: dict, over: dict) -> dict:
    """Merge *over* into a copy of *base*: tables merge key by key, everything else replaces."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out
