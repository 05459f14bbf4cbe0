"""Scenario files: a what-if question as a small TOML that extends another and overrides what changes.

A scenario is read into the same objects a plain run uses (a validated :class:`RuleSet`, a
:class:`Catalogue` with any new institution, calendar overrides) plus pinned sessions, so
every command works on it unchanged. Each file of an ``extends`` chain is applied in turn,
root first. Every error names the scenario file and the key *as the planner wrote it*: a
rule-set problem found after merging is traced back to the layer that set the value.
The schema is documented in ``scenarios/README.md``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .calendar import CalendarOverride, _parse_days, load_overrides, override_from_dict, toml_date
from .errors import PlannerError
from .ruleset import deep_merge, default_ruleset_path, read_toml, ruleset_from_dict

SCENARIO_KEYS = {"extends", "name", "year", "rules", "ruleset", "sessions", "sites", "coverage", "closures",
                 "new_institutions", "closed_days", "calendar", "pins", "licenses", "demand_percent"}
LICENSE_KEYS = {"institution", "category", "start", "end", "reason"}
CALENDAR_KEYS = {"source", "days_off", "makeup_workdays", "closed_days"}
INSTITUTION_KEYS = {"id", "name", "plan_name", "short_name", "address", "phones", "contact", "scope", "rotation",
                    "on_demand"}
PIN_KEYS = {"stream", "no", "registration_deadline", "exam_date", "institution", "kind", "notes"}
#: Where the friendly keys land in the rule-set document.
SESSIONS_PATH = ("rules", "session_count", "sessions")
COVERAGE_PATH = ("rules", "coverage", "streams")
CLOSURES_PATH = "rules.institution_open.closures"
ROTATION_STREAM = "special_ops"


@dataclass
class Scenario:
    """A loaded scenario: the context to plan in, and the sessions it pins."""

    name: str
    path: Path
    question: str  # the file's comment header
    chain: tuple[Path, ...]  # root … this file
    ctx: Any  # planner.context.Context
    pins: tuple = ()  # planner.plan.Session
    pin_keys: dict = field(default_factory=dict)  # (stream, no) -> (file, key) where it was pinned
    demand_percent: int = 0  # expected candidates ± this percent, wherever a demand file joins the run

    @property
    def year(self) -> int:
        return self.ctx.year

    def scale_demand(self, demand):
        """*demand* as this what-if expects it: candidates ± ``demand_percent`` (``demand.scale_candidates``)."""
        from .demand import scale_candidates

        return scale_candidates(demand, self.demand_percent)


@dataclass
class _Merged:
    """What the layers add up to, with where every value came from (for error messages)."""

    ruleset_doc: dict | None = None
    ruleset_file: Path | None = None
    year: tuple[int, Path] | None = None
    closures: list[tuple[Any, Path, str]] = field(default_factory=list)
    institutions: list[tuple[dict, Path, str]] = field(default_factory=list)
    licenses: list[tuple[dict, Path, str]] = field(default_factory=list)
    closed_days: dict[dt.date, tuple[Path, str]] = field(default_factory=dict)  # day -> where it was closed
    calendar: dict[int, dict] = field(default_factory=dict)
    calendar_src: dict[int, tuple[Path, str]] = field(default_factory=dict)
    pins: dict[tuple[str, int], tuple[dict, Path, str]] = field(default_factory=dict)
    demand_percent: int = 0
    #: rule-set path -> (scenario file, scenario key) for every value a scenario set
    origin: dict[str, tuple[Path, str]] = field(default_factory=dict)


def header_comment(path: str | Path) -> str:
    """The leading ``#`` lines of a file: a scenario's question, in the planner's own words."""
    from .textio import read_text

    lines = []
    for line in read_text(path).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(x for x in lines if x).strip()


def read_chain(path: str | Path) -> list[tuple[Path, dict]]:
    """The ``extends`` chain of *path*, root first; a cycle or a missing parent names file and key."""
    chain: list[tuple[Path, dict]] = []
    seen: list[Path] = []
    p = Path(path)
    while True:
        doc = read_toml(p)
        unknown = sorted(set(doc) - SCENARIO_KEYS)
        if unknown:
            raise PlannerError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(SCENARIO_KEYS))})",
                               file=p, field=unknown[0])
        seen.append(p.resolve())
        chain.append((p, doc))
        ext = doc.get("extends")
        if ext is None:
            break
        if not isinstance(ext, str) or not ext:
            raise PlannerError("must be a file name (relative to this file)", file=p, field="extends")
        nxt = (p.parent / ext)
        if nxt.resolve() in seen:
            loop = " -> ".join(x.name for x in seen + [nxt.resolve()])
            raise PlannerError(f"extends itself ({loop})", file=p, field="extends")
        if not nxt.is_file():
            raise PlannerError(f"extends {ext!r}, which does not exist ({nxt})", file=p, field="extends")
        p = nxt
    return chain[::-1]


def _leaves(doc: dict, prefix: str = ""):
    """Dotted paths of every value (and every empty table) in *doc*."""
    for k, v in doc.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            yield from _leaves(v, path + ".")
        else:
            yield path


def _nest(path: tuple[str, ...], value: Any) -> dict:
    out: Any = value
    for k in reversed(path):
        out = {k: out}
    return out


def _table(doc: dict, key: str, file: Path) -> dict:
    v = doc.get(key, {})
    if not isinstance(v, dict):
        raise PlannerError("must be a table", file=file, field=key)
    return v


def _array(doc: dict, key: str, file: Path) -> list:
    v = doc.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise PlannerError(f"must be an array of tables ([[{key}]])", file=file, field=key)
    return v


def _apply_layer(m: _Merged, file: Path, doc: dict) -> None:
    """Fold one scenario file into *m* (later files override earlier ones)."""
    if "rules" in doc:
        rp = doc["rules"]
        if not isinstance(rp, str):
            raise PlannerError("must be the path of a rule-set TOML (overrides go under [ruleset])", file=file,
                               field="rules")
        target = file.parent / rp
        if not target.is_file():
            raise PlannerError(f"rule set {rp!r} does not exist ({target})", file=file, field="rules")
        m.ruleset_doc, m.ruleset_file = read_toml(target), target
        m.origin = {}  # a new base replaces everything set before it
    if m.ruleset_doc is None:
        m.ruleset_file = default_ruleset_path()
        m.ruleset_doc = read_toml(m.ruleset_file)
    if "demand_percent" in doc:
        from .demand import check_percent

        m.demand_percent = check_percent(doc["demand_percent"], file)
    if "year" in doc:
        y = doc["year"]
        if not isinstance(y, int) or isinstance(y, bool):
            raise PlannerError(f"expected a whole number, got {y!r}", file=file, field="year")
        m.year = (y, file)

    over = _table(doc, "ruleset", file)
    for leaf in _leaves(over):
        m.origin[leaf] = (file, f"ruleset.{leaf}")
    friendly = [("sessions", lambda k: SESSIONS_PATH + (k,)),
                ("sites", lambda k: ("streams", k, "sites")),
                ("coverage", lambda k: COVERAGE_PATH + (k,))]
    for key, where in friendly:
        for k, v in _table(doc, key, file).items():
            path = where(k)
            over = deep_merge(over, _nest(path, v))
            for leaf in [".".join(path)] + ([".".join(path[:2])] if key == "sites" else []):
                m.origin[leaf] = (file, f"{key}.{k}")
            if isinstance(v, dict):
                for leaf in _leaves(v, ".".join(path) + "."):
                    m.origin[leaf] = (file, f"{key}.{k}.{leaf[len('.'.join(path)) + 1:]}")
    m.ruleset_doc = deep_merge(m.ruleset_doc, over)

    for i, c in enumerate(_array(doc, "closures", file), start=1):
        m.closures.append((c, file, f"closures[{i}]"))
    for i, lic in enumerate(_array(doc, "licenses", file), start=1):
        m.licenses.append((lic, file, f"licenses[{i}]"))
    for i, inst in enumerate(_array(doc, "new_institutions", file), start=1):
        m.institutions.append((inst, file, f"new_institutions[{i}]"))
    if "closed_days" in doc:
        m.closed_days.update(dict.fromkeys(_parse_days(doc["closed_days"], file, "closed_days"),
                                           (file, "closed_days")))
    for ys, table in _table(doc, "calendar", file).items():
        key = f"calendar.{ys}"
        if not ys.isdigit():
            raise PlannerError("expected a year, e.g. [calendar.2027]", file=file, field=key)
        if not isinstance(table, dict):
            raise PlannerError("must be a table", file=file, field=key)
        bad = sorted(set(table) - CALENDAR_KEYS)
        if bad:
            raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(CALENDAR_KEYS))})", file=file,
                               field=f"{key}.{bad[0]}")
        try:
            override_from_dict(dict(table), file, int(ys))  # validate here, where the file is known
        except PlannerError as err:
            raise PlannerError(err.message, file=file, field=f"{key}.{err.field}" if err.field else key) from None
        m.calendar[int(ys)] = {**m.calendar.get(int(ys), {}), **table}
        if "closed_days" in table:
            m.closed_days.update(dict.fromkeys(_parse_days(table["closed_days"], file, f"{key}.closed_days"),
                                               (file, f"{key}.closed_days")))
        m.calendar_src[int(ys)] = (file, key)
    for i, p in enumerate(_array(doc, "pins", file), start=1):
        key = f"pins[{i}]"
        bad = sorted(set(p) - PIN_KEYS)
        if bad:
            raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(PIN_KEYS))})", file=file,
                               field=f"{key}.{bad[0]}")
        m.pins[(str(p.get("stream")), p.get("no"))] = (p, file, key)


def _new_institution(rec: dict, file: Path, key: str, catalogue):
    """An institution from a ``[[new_institutions]]`` table, checked like a row of institutions.csv."""
    from .data import institution_from_record

    bad = sorted(set(rec) - INSTITUTION_KEYS)
    if bad:
        raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(INSTITUTION_KEYS))})", file=file,
                           field=f"{key}.{bad[0]}")
    for k in ("id", "name", "short_name", "address"):
        if not isinstance(rec.get(k), str) or not rec[k].strip():
            raise PlannerError("is required (text)", file=file, field=f"{key}.{k}")
    if rec["id"] in catalogue.institutions:
        raise PlannerError(f"institution {rec['id']!r} already exists", file=file, field=f"{key}.id")
    scope = rec.get("scope")
    if not scope or not isinstance(scope, list):
        raise PlannerError("is required: the operation codes the institution is licensed for (operations.csv)",
                           file=file, field=f"{key}.scope")
    for code in scope:
        if code not in catalogue.operations:
            raise PlannerError(f"unknown operation code {code!r} (see constraints/operations.csv)", file=file,
                               field=f"{key}.scope")
    phones = rec.get("phones", [])
    phones = [phones] if isinstance(phones, str) else phones
    if not isinstance(phones, list) or not all(isinstance(x, str) for x in phones):
        raise PlannerError("must be a list of phone numbers", file=file, field=f"{key}.phones")
    for k in ("rotation", "on_demand"):
        if not isinstance(rec.get(k, False), bool):
            raise PlannerError("expected true or false", file=file, field=f"{key}.{k}")
    seq = max((i.seq for i in catalogue.institutions.values()), default=0) + 1
    row = {"id": rec["id"], "seq": str(seq), "name": rec["name"], "plan_name": str(rec.get("plan_name", "")),
           "short_name": rec["short_name"], "address": rec["address"], "phones": ";".join(phones),
           "contact": str(rec.get("contact", "")), "rotation_site": str(rec.get("rotation", False)),
           "on_demand": str(rec.get("on_demand", False))}
    return institution_from_record(row, set(scope), file, 0, prefix=f"{key}.")


def _traced(err: PlannerError, m: _Merged, leaf: Path) -> PlannerError:
    """Re-point an error found in the merged rule set at the scenario file and key that set the value.

    The value itself, a table holding it, or (for a check between two parameters of one rule, such as
    min_days against an inherited max_days) a sibling the scenario set.
    """
    f = err.field or ""
    if err.file is not None and Path(err.file) != leaf:
        return err

    def under(path: str, top: str) -> bool:
        return path == top or path.startswith(top + ".") or path.startswith(top + "[")

    holders = [p for p in m.origin if under(f, p)]
    if holders:
        path = max(holders, key=len)
        file, key = m.origin[path]
        return PlannerError(err.message, file=file, field=key + f[len(path):])
    parts = f.split(".")
    for n in range(len(parts), 1, -1):
        top = ".".join(parts[:n])
        inside = sorted(p for p in m.origin if under(p, top))
        if inside:
            file, key = m.origin[inside[0]]
            tail = inside[0][len(top):]
            if tail and key.endswith(tail):
                key = key[:-len(tail)] + f[len(top):]
            return PlannerError(err.message, file=file, field=key)
    return PlannerError(err.message, file=m.ruleset_file, field=err.field)


def demand_percent_of(path: str | Path) -> int:
    """The ``demand_percent`` of a scenario file and what it extends (the later file wins, as in
    :func:`load_scenario`), without building its context: what the workbench's figures need."""
    from .demand import check_percent

    percent = 0
    for file, doc in read_chain(path):
        if "demand_percent" in doc:
            percent = check_percent(doc["demand_percent"], file)
    return percent


def load_scenario(path: str | Path, year: int | None = None, calendar_dir: str | Path | None = None) -> Scenario:
    """Read *path* and everything it extends into a context and pins; *year* overrides the file's."""
    from .api import make_context, next_year
    from .data import load_catalogue

    leaf = Path(path)
    chain = read_chain(leaf)
    m = _Merged()
    for file, doc in chain:
        _apply_layer(m, file, doc)
    catalogue = load_catalogue()
    doc = m.ruleset_doc
    for rec, file, key in m.institutions:
        inst = _new_institution(rec, file, key, catalogue)
        catalogue = catalogue.with_institution(inst)
        for flag, stream in (("rotation", ROTATION_STREAM), ("on_demand", "on_demand")):
            if rec.get(flag):
                sites = doc.setdefault("streams", {}).setdefault(stream, {}).setdefault("sites", [])
                if inst.id not in sites:
                    sites.append(inst.id)
                m.origin[f"streams.{stream}.sites"] = (file, f"{key}.{flag}")
    if m.closures:
        rule = doc.setdefault("rules", {}).setdefault("institution_open", {})
        if rule.get("enabled", True) is False:
            _, file, key = m.closures[0]
            raise PlannerError("closures given but rules.institution_open is disabled", file=file, field=key)
        base = list(rule.get("closures", []))
        for n, (c, file, key) in enumerate(m.closures, start=len(base) + 1):
            m.origin[f"{CLOSURES_PATH}[{n}]"] = (file, key)
        rule["closures"] = base + [c for c, _, _ in m.closures]

    y = year if year is not None else (m.year[0] if m.year else next_year())
    overrides = _calendar_overrides(m, y, calendar_dir)
    licenses = _licenses(m, catalogue)
    try:
        rs = ruleset_from_dict(doc, leaf, catalogue)
        rs.name = str(chain[-1][1].get("name", leaf.stem))
        ctx = make_context(y, rs, catalogue=catalogue, calendar_dir=calendar_dir, overrides=overrides,
                           licenses=licenses)
    except PlannerError as err:
        if err.field == "year" and m.year:
            raise PlannerError(err.message, file=m.year[1], field="year") from None
        if err.field and err.field.startswith("licenses["):
            n = int(err.field[len("licenses["):].split("]")[0])
            _, file, key = m.licenses[n - 1]
            raise PlannerError(err.message, file=file, field=key + err.field.split("]", 1)[1]) from None
        raise _traced(err, m, leaf) from None
    first, last = ctx.horizon
    for d, (file, key) in sorted(m.closed_days.items()):
        if not first <= d <= last:  # as for closures: a day the plan never reaches is a typo, not a no-op
            raise PlannerError(f"closed day {d} lies outside plan year {y}'s calendar ({first} … {last}); "
                               "wrong year?", file=file, field=key)
    pins, pin_keys = _pins(m, ctx)
    return Scenario(rs.name, leaf, header_comment(leaf), tuple(f for f, _ in chain), ctx.with_pins(pins), pins,
                    pin_keys, m.demand_percent)


def _licenses(m: _Merged, catalogue) -> tuple:
    """``[[licenses]]``: a site licensed for a category of operations for a date range."""
    from .problem import License

    out = []
    categories = {o.category_code for o in catalogue.operations.values()}
    for rec, file, key in m.licenses:
        bad = sorted(set(rec) - LICENSE_KEYS)
        if bad:
            raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(LICENSE_KEYS))})", file=file,
                               field=f"{key}.{bad[0]}")
        inst, cat = rec.get("institution"), rec.get("category")
        if inst not in catalogue.institutions:
            raise PlannerError(f"unknown institution {inst!r}", file=file, field=f"{key}.institution")
        if cat not in categories:
            raise PlannerError(f"unknown category {cat!r} (see category_code in constraints/operations.csv)",
                               file=file, field=f"{key}.category")
        dates = []
        for k, default in (("start", "2000-01-01"), ("end", "2099-12-31")):
            dates.append(toml_date(rec.get(k, default), file, f"{key}.{k}"))
        out.append(License(inst, cat, dates[0], dates[1], str(rec.get("reason", ""))))
    return tuple(out)


def _calendar_overrides(m: _Merged, year: int, calendar_dir) -> dict[int, CalendarOverride]:
    """The calendar-folder overrides with the scenario's on top: a stated arrangement replaces, closed days add."""
    base = load_overrides(calendar_dir)
    out: dict[int, CalendarOverride] = {}
    for y in sorted(set(m.calendar) | {d.year for d in m.closed_days}):
        file, key = m.calendar_src.get(y, (None, "closed_days"))
        sc = override_from_dict(dict(m.calendar.get(y, {})), file, y)
        b = base.get(y, CalendarOverride(y))
        stated = sc.official
        out[y] = CalendarOverride(
            y, source=sc.source if stated else b.source,
            days_off=sc.days_off if stated else b.days_off,
            makeup_workdays=sc.makeup_workdays if stated else b.makeup_workdays | sc.makeup_workdays,
            closed_days=b.closed_days | sc.closed_days | {d for d in m.closed_days if d.year == y})
    return out


def _pins(m: _Merged, ctx) -> tuple[tuple, dict]:
    """The pinned sessions, validated like plan rows and judged by the per-session hard rules."""
    from .plan import plan_from_records

    sessions = []
    keys: dict[tuple[str, int], tuple[Path, str]] = {}
    for (p, file, key) in m.pins.values():
        rec = {k: (v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in p.items()}
        for k in ("stream", "no", "registration_deadline", "exam_date", "institution"):
            if k not in rec:
                raise PlannerError("is required", file=file, field=f"{key}.{k}")
        if "kind" not in rec and rec["stream"] in ctx.catalogue.streams:
            rec["kind"] = ctx.catalogue.streams[rec["stream"]].default_kind
        elif "kind" in rec:  # a pin may say 考试类别 as the notice prints it on its date (planner.regulation)
            from .regulation import plan_kind

            rec["kind"] = plan_kind(ctx.catalogue, rec["stream"], rec["kind"])
        try:
            s = plan_from_records([(0, rec)], ctx.catalogue, file, year=ctx.year).sessions[0]
        except PlannerError as err:
            raise PlannerError(err.message, file=file, field=f"{key}.{err.field}") from None
        sessions.append(s)
        keys[s.key] = (file, key)
    check_pins(sessions, ctx, keys)
    return tuple(sorted(sessions)), keys


def check_pins(sessions, ctx, where: dict) -> None:
    """A pinned session that breaks a hard rule is bad input (exit 2), not an infeasible plan.

    *where* maps a session key to ``(file, key)`` for the message.
    """
    from .plan import Plan

    if not sessions:
        return
    plan = Plan(ctx.year, tuple(sessions), "pins")
    for rule in ctx.rules:
        if not rule.session_local:  # a plan-wide rule (counts, rotation, coverage) needs the whole plan
            continue
        for v in rule.check(plan, ctx):
            file, key = where.get((v.stream, v.no), (None, "pins"))
            label = f"{v.stream} #{v.no}" if v.no is not None else str(v.stream)
            raise PlannerError(f"pinned session {label} breaks {rule.name}: {v.message}", file=file, field=key)
