"""``planner check PLAN``: every rule's verdict on a plan; exit 0 clean, 1 a hard rule broken, 2 bad input.

PLAN may also be an output folder: its ``manifest.json`` is verified first (a missing or changed file
is exit 2: the folder is not the set that was written), then the plan in it is checked.
"""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options

    p = sub.add_parser("check", help="check a plan (CSV or notice.xlsx) against the rules")
    p.add_argument("plan", metavar="PLAN",
                   help="plan file (canonical CSV or a published notice.xlsx), or an output folder to verify")
    p.add_argument("--revision-of", metavar="OLD", default=None,
                   help="check PLAN as a revision of the published plan OLD (rotation binds only 期次 OLD lacks) "
                        "[default: revision_of.csv beside PLAN, which planner replan writes]")
    p.add_argument("--from", dest="from_date", metavar="DATE", default=None,
                   help="with a revision: the re-plan's first day, before which nothing that changed may be dated "
                        "(YYYY-MM-DD) [default: replan_from in summary.json beside PLAN, which planner replan writes]")
    add_context_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..check import check_plan
    from ..data import load_catalogue
    from ..planio import read_plan
    from .common import context_from_args, scenario_from_args

    from pathlib import Path

    if Path(args.plan).is_dir():
        args.plan = verify_folder(Path(args.plan))
        if args.plan is None:
            return 0
    # a scenario may add institutions: read the plan against its catalogue
    scenario = scenario_from_args(args, year=args.year)
    catalogue = scenario.ctx.catalogue if scenario is not None else load_catalogue()
    plan = read_plan(args.plan, catalogue, year=args.year)
    ctx = context_from_args(args, year=plan.year)
    old = args.revision_of or (Path(args.plan).with_name("revision_of.csv")
                               if Path(args.plan).with_name("revision_of.csv").is_file() else None)
    if old is not None:
        from_date = _from_date(args, Path(args.plan))
        ctx = ctx.revising(read_plan(old, catalogue, year=plan.year), from_date)
        print(f"Checked as a revision of {old}" + (f" from {from_date}" if from_date else ""))
    report = check_plan(plan, ctx)
    print(render_report(plan, report))
    load = render_load(plan, ctx)
    if load:
        print(load)
    return 0 if report.ok else 1


def _from_date(args, plan_path):
    """The re-plan's first day: --from, else the ``replan_from`` of the summary.json planner replan wrote beside
    the plan (None: a revision checked without it, as before the day was known)."""
    import datetime as dt
    import json

    from ..errors import PlannerError
    from ..replan import first_day

    if args.from_date is not None:
        try:
            return dt.date.fromisoformat(args.from_date)
        except ValueError:
            raise PlannerError(f"not a date in YYYY-MM-DD form: {args.from_date[:40]!r}", field="from") from None
    summary = plan_path.with_name("summary.json")
    try:
        doc = json.loads(summary.read_text(encoding="utf-8")) if summary.is_file() else {}
    except (OSError, ValueError):
        doc = {}  # a summary that does not read says nothing of the day
    return first_day(doc, summary)


#: the columns of render_load (the values are queueing.category_rows', as sizing.csv and report.html show them)
LOAD_HEADER = ["stream", "category", "candidates", "sessions", "seats", "seated", "carried over", "longest wait",
               "p95 wait", "seats used", "data"]


def render_load(plan, ctx) -> str:
    """With --demand: the plan's candidates, seats and waits, overall and per category (the queue the waiting rules
    judge), marked as the demand is (估计 until a bureau's own registrations replace it); "" without a demand."""
    from ..queueing import category_rows, evaluate
    from .common import table

    load = evaluate(plan, ctx)
    if load is None:
        return ""
    t = load.summary()
    wait = lambda v: "-" if v is None else f"{v} days"  # noqa: E731
    return "\n".join([
        f"\nCandidates and seats ({t['status']}): {t['expected_candidates']} expected, {t['seated']} seated in "
        f"{t['seats']} seats, {t['unserved']} carried over to the next year; longest wait {wait(t['max_wait_days'])}, "
        f"95th percentile {wait(t['p95_wait_days'])}; {t['full_sessions']} session(s) full",
        table([[str(v) for v in r] for r in category_rows(load, plan, ctx)], LOAD_HEADER)])


def render_report(plan, report) -> str:
    from .common import listed, table

    lines = [f"Plan {plan.source or ''}: year {plan.year}, {len(plan.sessions)} sessions "
             + ", ".join(f"{s}={len(plan.stream(s))}" for s in plan.streams()),
             f"Calendar: {report.calendar_status}"]
    hard = [v for v in report.violations if v.hard]
    if hard:
        lines.append(f"\n{len(hard)} violation(s):")
        shown, more = listed(hard, "violation(s) not listed; the counts per rule are below")
        lines.append(table([[v.where(), v.rule, v.message] for v in shown], ["session", "rule", "problem"]))
        if more:
            lines.append(more)
    else:
        lines.append("\nno violations")
    lines.append("\nPer rule:")
    lines.append(table([[r, "ok" if n == 0 else f"{n} violation(s)"] for r, n in report.per_rule.items()],
                       ["rule", "result"]))
    if report.costs:
        lines.append("\nPreferences (weight x cost):")
        lines.append(table([[p, str(w), str(c), str(w * c)] for p, (w, c) in report.costs.items()],
                           ["preference", "weight", "cost", "weighted"]))
        lines.append(f"objective: {report.objective}")
    return "\n".join(lines)


#: the plan of an output set, in order of preference
SET_PLANS = ("plan.csv", "notice.xlsx")


def verify_folder(folder):
    """Verify *folder* against its manifest (one line, exit 2 on a mismatch); the plan file in it, if any."""
    from ..errors import PlannerError
    from ..outset import verify
    from .common import warn

    problems, extra = verify(folder)
    if problems:
        raise PlannerError(f"{len(problems)} file(s) do not match manifest.json: " + "; ".join(problems[:3])
                           + ("; …" if len(problems) > 3 else ""), file=folder)
    print(f"Output set {folder}: every file listed in manifest.json is present and unchanged")
    if extra:
        warn(f"note: {len(extra)} file(s) in {folder} are not in manifest.json: " + ", ".join(extra[:5])
             + (", …" if len(extra) > 5 else ""))
    for name in SET_PLANS:
        if (folder / name).is_file():
            print()
            return folder / name
    print("(no plan.csv or notice.xlsx in the set to check)")
    return None
