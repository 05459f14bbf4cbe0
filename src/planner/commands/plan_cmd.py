"""``planner plan``: generate the year's calendar with CP-SAT and write it (plan.csv, summary.json)."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options, add_output_options, add_search_option, add_solver_options

    p = sub.add_parser("plan", help="generate the exam calendar of a year (default: next year)")
    add_context_options(p)
    add_solver_options(p)
    add_search_option(p)
    add_output_options(p)
    p.add_argument("--start", metavar="PLAN",
                   help="continue from this plan (plan.csv or notice.xlsx of the same year, e.g. an earlier run's "
                        "that stopped at its time limit, or a quick answer with --demand): the search starts there "
                        "(with --demand, CP-SAT's search with the queue, as --thorough), and the result costs no more "
                        "than it when it keeps every rule")
    p.set_defaults(func=run)


def run(args) -> int:
    from .common import context_from_args, output_set, scenario_from_args, with_demand_from_args
    from .output import print_written, solve_and_write

    with output_set(args.out, "plan") as tx:  # fail before solving when the folder is unusable or busy
        scenario = scenario_from_args(args)
        if scenario is None:
            ctx = context_from_args(args)
            start, extra = _start(args, ctx)
            code = solve_and_write(ctx, tx, args, extra_summary=extra, start=start, quick=not args.thorough)
        else:
            print(f"scenario {scenario.name}" + (f": {scenario.question}" if scenario.question else "") + "\n")
            ctx = with_demand_from_args(scenario.ctx, args, scenario)
            start, extra = _start(args, ctx)
            extra |= {"scenario": str(scenario.path), "scenario_chain": [str(p) for p in scenario.chain],
                      "pinned": len(scenario.pins)}
            code = solve_and_write(ctx, tx, args, pins=list(scenario.pins) or None, extra_summary=extra, start=start,
                                   quick=not args.thorough)
    print_written(tx.given, args)
    return code


def _start(args, ctx):
    """The plan ``--start`` names, read for the year being planned, and what summary.json says of it."""
    if not args.start:
        return None, {}
    from ..check import check_plan
    from ..errors import PlannerError
    from ..planio import read_plan

    plan = read_plan(args.start, ctx.catalogue)  # its own year, from its dates: compared, not assumed
    if plan.year != ctx.year:
        raise PlannerError(f"the plan is for {plan.year}, the run plans {ctx.year}", file=args.start, field="year")
    report = check_plan(plan, ctx)
    cost = report.objective if report.ok else None
    broken = f"breaks {len(report.violations)} rule(s) of this run: the search starts from it but does not keep it"
    print(f"starting from {args.start}: " + (f"cost {cost}" if report.ok else broken))
    return plan, {"start": {"file": str(args.start), "objective": cost}}
