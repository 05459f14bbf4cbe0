"""What a run writes next to its plan: ``summary.json`` with status, objective parts and input hashes."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .problem import Problem


def inputs_digest(ctx: Problem) -> str:
    """Hash of the notice data files the run read (institutions, scope, operations, streams, materials, and the
    regulation with its renewal wave, which word 附件3 and move the candidates)."""
    h = hashlib.sha256()
    d = Path(ctx.catalogue.source_dir)
    for name in ("institutions.csv", "operations.csv", "scope.csv", "streams.csv", "regulation.toml",
                 "renewal_wave.csv", *sorted(p.relative_to(d).as_posix() for p in (d / "materials").glob("*.toml"))):
        f = d / name
        if f.exists():
            h.update(name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def facts_digest(ctx: Problem) -> str:
    """Hash of the run's own facts that no data file above holds: the calendar as the run used it (every day of
    its horizon, working or not, exam day or not: a scenario's or ``--calendar-dir``'s override included), the
    window, closures, dated licences, pinned sessions and the candidates (the demand as written back). Two runs
    with the same ``inputs_sha256``, ``ruleset_sha256`` and ``facts_sha256`` planned the same problem."""
    import datetime as dt

    from .demand import demand_to_toml

    h = hashlib.sha256()
    cal = ctx.calendar
    day, days = cal.first_day, []
    while day <= cal.last_day:
        days.append("%d%d" % (cal.is_working_day(day), cal.is_exam_day(day)))
        day += dt.timedelta(days=1)
    parts = [f"calendar {cal.first_day.isoformat()} " + "".join(days),
             "window " + " ".join(d.isoformat() for d in ctx.window),
             *sorted("closure " + repr(c) for c in ctx.closures),
             *sorted("licence " + repr(lic) for lic in ctx.licenses),
             *sorted("pin " + repr(p) for p in ctx.pins)]
    if getattr(ctx, "demand", None) is not None:
        parts.append("demand " + demand_to_toml(ctx.demand.demand))
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def summary_dict(result, ctx: Problem, **extra) -> dict:
    start, stop = ctx.window
    # no wall-clock seconds here: the same inputs give a byte-identical summary.json (the run prints its time)
    out = {
        "status": result.status.value,
        "year": ctx.year,
        "window": [start.isoformat(), stop.isoformat()],
        "calendar": ctx.calendar.status(),
        "calendar_official": ctx.calendar.is_official(),
        "objective": result.objective,  # the preferences' cost recomputed on the plan (check face)
        "solver_objective": result.solver_objective,  # what CP-SAT minimised (model face); a run where they differ is exit 70
        "bound": result.bound,  # CP-SAT's proven lower bound on the objective (equal to it when OPTIMAL)
        "gap": None if result.gap is None else round(result.gap, 6),  # (objective - bound) / objective
        "objective_parts": {k: {"weight": w, "cost": c, "weighted": w * c} for k, (w, c) in result.parts.items()},
        "tiers": result.tiers,
        # tiers (and "preferences") the time limit left unsearched: minimised over the deadlines only (solver.py)
        "tiers_unsearched": list(getattr(result, "unsearched", [])),
        "sessions": len(result.plan.sessions) if result.plan else 0,
        "deterministic_time": round(result.deterministic_time, 4),
        "seed": result.seed,
        "conflict": result.conflict,
        "conflict_keys": result.conflict_keys,
        "conflict_minimal": result.conflict_minimal,
        "stopped_by": result.stopped_by,
        "ruleset": ctx.ruleset.name,
        "ruleset_sha256": ctx.ruleset.digest(),
        "inputs_sha256": inputs_digest(ctx),
        "facts_sha256": facts_digest(ctx),  # calendar as used (overrides included), closures, licences, pins, demand
    }
    if getattr(ctx, "demand", None) is not None and result.plan is not None:
        from .queueing import evaluate

        out["demand"] = evaluate(result.plan, ctx).report(ctx)
    out.update(extra)
    return out


def summary_json(result, ctx: Problem, **extra) -> str:
    return json.dumps(summary_dict(result, ctx, **extra), ensure_ascii=False, indent=2) + "\n"
