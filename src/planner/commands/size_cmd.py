"""``planner size``: how many sessions (and exam days per session) the year's candidates need.

Writes what ``planner plan`` writes for the sized year, plus ``sizing.csv`` (per stream and category:
candidates, sessions, seats, waits, utilisation) and ``demand.toml`` (the demand with the exam days chosen,
so ``planner check --demand`` recomputes the same waits).
"""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options, add_output_options, add_solver_options

    p = sub.add_parser("size", help="the fewest sessions, then exam days, that seat the year's candidates in time")
    add_context_options(p)
    add_solver_options(p)
    add_output_options(p)
    p.add_argument("--max-wait", type=_days, default=None, metavar="D",
                   help="the longest a candidate may wait, in days [default: the rule set's waiting.max_wait_days]")
    p.add_argument("--sessions", action="append", default=[], metavar="STREAM=MIN:MAX",
                   help="bounds on a stream's count (repeatable) [default: 1 to twice the rule set's count]")
    p.set_defaults(func=run)


def _days(text: str) -> int:
    from .common import int_range

    return int_range(1, 366)(text)


def parse_bounds(items: list[str]) -> dict[str, tuple[int, int]]:
    from ..errors import PlannerError

    out = {}
    for item in items:
        sid, _, rng = item.partition("=")
        lo, _, hi = rng.partition(":")
        try:
            bounds = (int(lo), int(hi))
        except ValueError:
            raise PlannerError(f"expected STREAM=MIN:MAX, got {item!r}", field="sessions") from None
        if not 0 <= bounds[0] <= bounds[1] <= 600 or not sid:
            raise PlannerError(f"expected STREAM=MIN:MAX with 0 <= MIN <= MAX <= 600, got {item!r}", field="sessions")
        out[sid.strip()] = bounds
    return out


def _scenario(args, sized, year: int) -> str:
    """The sized year as a scenario of the rule set it sized, so that ``planner check PLAN --scenario sizing.toml
    --demand demand.toml`` judges the written plan by the counts chosen (paths as given, made absolute)."""
    from pathlib import Path

    lines = ["# The session counts planner size chose, on top of the rule set it sized. Check the plan with:",
             "#   planner check plan.csv --scenario sizing.toml --demand demand.toml", 'name = "sizing"',
             f"year = {year}"]
    if args.scenario:
        lines.append(f"extends = {str(Path(args.scenario).resolve())!r}".replace("'", '"'))
        lines.append("demand_percent = 0  # demand.toml holds the candidates as the scenario scaled them")
    elif args.rules:
        lines.append(f"rules = {str(Path(args.rules).resolve())!r}".replace("'", '"'))
    from ..sizing import count_toml

    lines += ["", "[sessions]"] + [f"{sid} = {count_toml(sized.ctx, sid, n)}" for sid, n in sized.sessions.items()]
    return "\n".join(lines) + "\n"


def sizing_csv(sized) -> bytes:
    """Per stream and category: candidates, sessions, seats, seated, carried over, waits and utilisation (UTF-8
    with BOM, so Excel and WPS open it as Chinese). Every figure derives from the demand file: 估计 unless it
    holds the bureau's own registrations, and then still 估计 for the seats it took from an estimate (the 数据
    column as report.html words it: queueing.category_rows)."""
    from ..publish.csvfiles import bom_csv
    from ..queueing import CATEGORY_HEADER, category_rows, evaluate

    load = evaluate(sized.result.plan, sized.ctx)
    return bom_csv(category_rows(load, sized.result.plan, sized.ctx), CATEGORY_HEADER)


def run(args) -> int:
    from ..demand import default_demand_path, load_demand
    from ..errors import InfeasibleError, PlannerError
    from ..publish.workers import start_workers
    from ..sizing import size
    from .common import context_from_args, output_set, scenario_from_args, warn
    from .output import print_written, write_result

    bounds = parse_bounds(args.sessions)
    with output_set(args.out, "size") as tx:
        path = args.demand or default_demand_path()
        args.demand = None  # the demand joins the sized problem, not the bounds' one
        scenario = scenario_from_args(args)
        ctx = scenario.ctx if scenario is not None else context_from_args(args)
        demand = load_demand(path, ctx.catalogue)
        if scenario is not None:
            demand = scenario.scale_demand(demand)
        with start_workers(ctx, publish=not args.no_publish) as workers:
            sized = size(ctx, demand, bounds=bounds, max_wait=args.max_wait, time_limit=args.time_limit,
                         seed=args.seed)
            if sized.status == "INFEASIBLE":
                raise InfeasibleError(sized.infeasible_message(), sized.conflict, sized.conflict_minimal)
            if sized.result is None:
                raise PlannerError(f"no sizing found within the time limit ({args.time_limit}); raise --time-limit",
                                   field="time-limit")
            tx.write("sizing.csv", sizing_csv(sized))
            tx.write_text("demand.toml", sized.demand_toml())
            tx.write_text("sizing.toml", _scenario(args, sized, ctx.year))
            write_result(sized.result, sized.ctx, tx, args, extra_summary={"sizing": sized.summary()},
                         workers=workers)
        print(sized.describe())
        if demand.estimated:  # said once the sizing stands, so that bad input stays one line
            warn(f"candidates and seats from {path} are an estimate (估计); a bureau's own registrations replace "
                 "them (planner demand import)")
    print_written(tx.given, args)
    print(f"sizing.csv and demand.toml (exam days chosen) are in {tx.given}")
    return 0
