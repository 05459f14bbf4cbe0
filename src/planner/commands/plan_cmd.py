"""``planner plan``: generate the year's calendar with CP-SAT and write it (plan.csv, summary.json)."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options, add_output_options, add_solver_options

    p = sub.add_parser("plan", help="generate the exam calendar of a year (default: next year)")
    add_context_options(p)
    add_solver_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from .common import context_from_args, output_set, scenario_from_args, with_demand_from_args
    from .output import print_written, solve_and_write

    with output_set(args.out, "plan") as tx:  # fail before solving when the folder is unusable or busy
        scenario = scenario_from_args(args)
        if scenario is None:
            code = solve_and_write(context_from_args(args), tx, args)
        else:
            print(f"scenario {scenario.name}" + (f": {scenario.question}" if scenario.question else "") + "\n")
            extra = {"scenario": str(scenario.path), "scenario_chain": [str(p) for p in scenario.chain],
                     "pinned": len(scenario.pins)}
            code = solve_and_write(with_demand_from_args(scenario.ctx, args, scenario), tx, args, pins=list(scenario.pins) or None, extra_summary=extra)
    print_written(tx.given, args)
    return code
