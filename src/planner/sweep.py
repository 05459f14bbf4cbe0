"""Sweeps: run many scenarios side by side and tabulate what each does to the plan.

The baseline (the first scenario unless told otherwise) is solved first; every other scenario
of the same year is then solved with the baseline plan as its reference, so "moves" is the
smallest number of sessions the what-if forces to change, not the noise of two independent
optima; with a demand (``sweep --demand``) the same, with the candidates. Scenarios run in worker
processes (two by default, one per core); each solve stays on one CP-SAT worker with a fixed seed
and deterministic time limit, so the plans do not depend on the parallelism. A scenario that cannot be read is an ERROR row; an infeasible one shows its
conflict; either way the other scenarios still run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .plan import Plan


@dataclass
class SweepRow:
    """One scenario's outcome."""

    scenario: str
    path: str
    year: int | None = None
    status: str = "ERROR"  # OPTIMAL | TIME_LIMIT | INFEASIBLE | UNKNOWN | ERROR (could not be read)
    sessions: int | None = None
    longest_gap: dict[str, int | None] = field(default_factory=dict)
    moves: int | None = None  # sessions changed against the baseline plan (same year only)
    days_moved: int | None = None
    solve_seconds: float = 0.0
    note: str = ""  # the conflict of an infeasible scenario, or why it could not be read
    question: str = ""
    baseline: bool = False
    plan: Plan | None = None
    # with a demand: the plan's queue (queueing.Load.summary) and the candidates waiting longer than late_days
    people: dict | None = None
    stopped_by: str = ""  # Result.stopped_by: the quick answer's is said in the status cell

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "TIME_LIMIT")

    @property
    def readable(self) -> bool:
        return self.status != "ERROR"


@dataclass(frozen=True)
class Job:
    path: str
    year: int | None = None
    calendar_dir: str | None = None
    seed: int = 0
    time_limit: float = 30.0
    reference: Plan | None = None
    baseline: bool = False
    demand: str | None = None  # a demand file: every scenario planned with its candidates (scaled by its 需求 ± %)
    quick: bool = False  # with candidates, the quick answer first (solver.solve), as ``plan`` without --thorough


def run_one(job: Job) -> SweepRow:
    """Load and solve one scenario (in a worker process); never raises for bad input."""
    from .compare import diff_plans, moves, site_kpis
    from .errors import PlannerError
    from .scenario import load_scenario
    from .solver import solve

    row = SweepRow(Path(job.path).stem, job.path, baseline=job.baseline)
    try:
        sc = load_scenario(job.path, year=job.year, calendar_dir=job.calendar_dir)
        row.scenario, row.year, row.question = sc.name, sc.year, sc.question
        ref = job.reference if job.reference is not None and job.reference.year == sc.year else None
        ctx = sc.ctx
        if job.demand is not None:
            from .demand import load_demand

            ctx = ctx.with_demand(sc.scale_demand(load_demand(job.demand, ctx.catalogue)))
        result = solve(ctx, seed=job.seed, time_limit=job.time_limit, reference=ref,
                       pins=list(sc.pins) or None, quick=job.quick)
    except PlannerError as err:
        row.note = str(err)
        return row
    row.status, row.solve_seconds, row.stopped_by = result.status.value, result.solve_seconds, result.stopped_by
    row.note = "; ".join(result.conflict)
    if result.plan is not None:
        row.plan = result.plan
        row.sessions = len(result.plan.sessions)
        row.longest_gap = {site: k.longest_gap for site, k in site_kpis(result.plan).items() if site != "(all)"}
        if job.baseline:
            row.moves, row.days_moved = 0, 0
        elif ref is not None:
            row.moves, row.days_moved = moves(diff_plans(ref, result.plan))
        if ctx.demand is not None:
            row.people = _people(result.plan, ctx)
    return row


def _people(plan: Plan, ctx) -> dict:
    """The plan's candidates: the queue's summary, and those waiting longer than :func:`compare.late_days`."""
    from .compare import late_days
    from .queueing import evaluate

    load = evaluate(plan, ctx)
    days = late_days(ctx)
    return {**load.summary(), "late_days": days,
            "late": None if days is None else load.over(days)}


#: what the sweep's processes need, imported once by the server they are forked from
PRELOAD = ("planner.solver", "planner.sweep", "planner.scenario", "planner.compare")


def sweep(paths: list[str | Path], *, baseline: str | Path | None = None, year: int | None = None,
          calendar_dir: str | Path | None = None, seed: int = 0, time_limit: float = 30.0,
          workers: int = 2, demand: str | Path | None = None, quick: bool = False) -> list[SweepRow]:
    """Rows in the order of *paths* (the baseline's row first if it is not among them); with *demand*, every
    scenario is planned with those candidates, as ``planner plan --demand``, and its row says what the plan does
    to them (the baseline's plan with the quick answer first when *quick*, as ``plan`` without ``--thorough``)."""
    from concurrent.futures import ProcessPoolExecutor

    from .children import adopt, context, environment

    paths = [str(p) for p in paths]
    base = str(baseline) if baseline is not None else (paths[0] if paths else None)
    common = dict(year=year, calendar_dir=str(calendar_dir) if calendar_dir else None, seed=seed,
                  time_limit=time_limit, demand=str(demand) if demand else None, quick=quick)
    if base is None:
        return []
    # never a fork of this process (it may run OR-Tools or a Jupyter kernel's threads): planner.children
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context(PRELOAD),
                             initializer=adopt, initargs=(environment(),)) as ex:
        base_row = ex.submit(run_one, Job(base, baseline=True, **common)).result()
        others = [p for p in paths if p != base]
        futures = {p: ex.submit(run_one, Job(p, reference=base_row.plan, **common)) for p in others}
        done = {p: f.result() for p, f in futures.items()}
    rows = [base_row] + [done[p] for p in others]
    return rows


def gap_sites(rows: list[SweepRow]) -> list[str]:
    return sorted({s for r in rows for s in r.longest_gap})


def table_rows(rows: list[SweepRow], with_question: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and text cells of the KPI table (the same for the terminal and the CSV)."""
    sites = gap_sites(rows)
    planned = [r.people for r in rows if r.people is not None]
    targets = sorted({p["late_days"] for p in planned if p["late_days"] is not None})
    people = ["demand", "candidates", "seats", "carried over", "longest wait", "p95 wait"] if planned else []
    if targets:  # one target for every scenario (the usual case): in the header; else in each cell
        people.append(f"waiting > {targets[0]} days" if len(targets) == 1 else "waiting > target days")
    header = (["scenario", "year", "status", "feasible", "sessions"] + [f"longest gap {s}" for s in sites] + people
              + ["moves vs baseline", "days moved", "explanation"] + (["question"] if with_question else []))

    def cell(v) -> str:
        return "" if v is None else str(v)

    def people_cells(p: dict | None) -> list[str]:
        if p is None:
            return [""] * len(people)
        # "demand": 估计 (an estimate) or 实际 (the bureau's own), as every figure derived from it must say
        out = [cell(p[k]) for k in ("status", "expected_candidates", "seats", "unserved", "max_wait_days",
                                    "p95_wait_days")]
        if targets:
            n = p["late"]
            out.append(cell(n) if n is None or len(targets) == 1 else f"{n} (>{p['late_days']})")
        return out

    from .solver import QUICK_STOP

    out = []
    for r in rows:
        name = r.scenario + (" (baseline)" if r.baseline else "")
        status = r.status + (f" ({QUICK_STOP})" if r.stopped_by == QUICK_STOP else "")  # not the limit: the quick answer
        out.append([name, cell(r.year), status, "yes" if r.feasible else "no", cell(r.sessions)]
                   + [cell(r.longest_gap.get(s)) for s in sites] + people_cells(r.people)
                   + [cell(r.moves) if r.moves is not None or not r.feasible else "n/a (other year)",
                      cell(r.days_moved), r.note]
                   + ([r.question] if with_question else []))
    return header, out
