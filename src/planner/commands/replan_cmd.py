"""``planner replan PLAN --from DATE``: keep what is published before DATE, change the rest as little as possible."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options, add_output_options, add_solver_options

    p = sub.add_parser("replan", help="re-plan a published plan from a date with the fewest changes")
    p.add_argument("plan", metavar="PLAN", help="the published plan: canonical CSV or notice.xlsx")
    p.add_argument("--from", dest="from_date", metavar="DATE", required=True,
                   help="first day that may change (YYYY-MM-DD); every exam before it is kept (a date before "
                        "the window: every session may move)")
    add_context_options(p)
    add_solver_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import datetime as dt

    from ..errors import PlannerError
    from .common import output_set
    from .output import print_written

    try:
        from_date = dt.date.fromisoformat(args.from_date)
    except ValueError:
        raise PlannerError(f"not a date in YYYY-MM-DD form: {args.from_date!r}", field="from") from None
    with output_set(args.out, "replan") as tx:  # plan.csv, summary.json, changes.csv and the publish set: one set
        code = _replan(args, from_date, tx)
    print_written(tx.given, args)
    print(f"wrote {tx.given / 'changes.csv'}")
    return code


def _replan(args, from_date, tx) -> int:
    import datetime as dt

    from ..compare import CHANGE_HEADER, change_rows, diff_plans, moves, to_csv
    from ..data import load_catalogue
    from ..errors import PlannerError
    from ..planio import read_plan
    from ..replan import check_kept, reasons, replan_pins
    from .common import context_from_args, scenario_from_args, table
    from .output import solve_and_write

    scenario = scenario_from_args(args)
    catalogue = scenario.ctx.catalogue if scenario else load_catalogue()
    plan = read_plan(args.plan, catalogue, year=args.year)
    if scenario is not None and scenario.year != plan.year:
        raise PlannerError(f"the scenario plans {scenario.year}, the plan is for {plan.year}", file=scenario.path,
                           field="year")
    ctx = scenario.ctx if scenario else context_from_args(args, year=plan.year)
    start, stop = ctx.window
    if from_date > stop + dt.timedelta(days=1):
        raise PlannerError(f"{from_date} is after the plan year's window {start} … {stop}: nothing is left to "
                           "re-plan", field="from")  # a date before the window: every session may move
    pins, where = replan_pins(plan, from_date, scenario)
    check_kept(pins, ctx, where)
    print(f"Re-planning {args.plan} from {from_date}: {len(pins)} session(s) kept as published"
          + (f"; scenario {scenario.name}" if scenario else "") + "\n")
    sink: list = []
    args._result_sink = sink
    extra = {"replan_of": str(args.plan), "replan_from": from_date.isoformat(), "kept": len(pins)}
    if scenario is not None:
        extra["scenario"] = str(scenario.path)
    code = solve_and_write(ctx, tx, args, reference=plan, pins=pins, extra_summary=extra)
    if not sink:
        return code
    new = sink[0][0].plan
    changes = diff_plans(plan, new)
    why = reasons(plan, new, ctx, changes)
    rows = change_rows(changes, why)
    tx.write_text("changes.csv", to_csv(rows, CHANGE_HEADER))
    n, days = moves(changes)
    print(f"\nWhat changed against {args.plan}: {n} session(s) changed, {days} days moved in total"
          + (f", {sum(c.what == 'added' for c in changes)} added, {sum(c.what == 'removed' for c in changes)} removed"
             if any(c.what in ('added', 'removed') for c in changes) else ""))
    if rows:
        print(table([[r[1] + " #" + r[2], r[3], r[4], r[5], r[6], r[7], r[10]] for r in rows],
                    ["session", "exam before", "exam after", "days", "site before", "site after", "why"]))
    return code
