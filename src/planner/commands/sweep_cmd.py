"""``planner sweep SCENARIO…``: run scenarios in parallel; print and write a KPI table (sweep.csv).

Exit 0 when every scenario ran, feasible or not; 2 when one could not be read (its row says why).
"""
from __future__ import annotations


#: more worker processes than this only thrashes the machine (each holds a CP-SAT model)
MAX_WORKERS = 64


def register(sub) -> None:
    from .common import add_search_option, add_solver_options, int_range

    p = sub.add_parser("sweep", help="run many scenarios in parallel and tabulate their KPIs")
    p.add_argument("scenarios", metavar="SCENARIO", nargs="+", help="scenario TOML files")
    p.add_argument("--baseline", metavar="FILE", default=None,
                   help="scenario whose plan the others are measured against [default: the first]")
    p.add_argument("--year", type=int, default=None, help="plan every scenario for this year")
    p.add_argument("--calendar-dir", metavar="DIR", default=None, help="folder of calendar overrides")
    p.add_argument("--workers", type=int_range(1, MAX_WORKERS), default=2, metavar="N",
                   help=f"parallel processes, 1 to {MAX_WORKERS} [default 2]")
    p.add_argument("--demand", metavar="FILE", default=None,
                   help="plan every scenario with these candidates (scaled by its 需求 ± %%), as plan --demand, and "
                        "add what each plan does to them: candidates, seats, carried over, waits")
    p.add_argument("--out", metavar="DIR", default="out",
                   help="write sweep.csv and plans/<scenario>.csv here [default: out]")
    add_solver_options(p)
    add_search_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..compare import to_csv
    from ..plan import plan_to_csv
    from ..sweep import sweep, table_rows
    from .common import output_set, table, warn

    from concurrent.futures.process import BrokenProcessPool

    from ..errors import IOFailure

    if args.demand:  # a bad demand file is one line and exit 2 here, before any worker starts
        from ..data import load_catalogue
        from ..demand import load_demand

        load_demand(args.demand, load_catalogue())
    with output_set(args.out, "sweep") as tx:  # sweep.csv and plans/ appear together, or not at all
        try:
            rows = sweep(args.scenarios, baseline=args.baseline, year=args.year, calendar_dir=args.calendar_dir,
                         seed=args.seed, time_limit=args.time_limit, workers=args.workers, demand=args.demand,
                         quick=not args.thorough)
        except BrokenProcessPool:
            raise IOFailure("a worker process died (killed, or out of memory); nothing was written; try fewer "
                            "--workers") from None
        header, cells = table_rows(rows)
        print(table(cells, header))
        header_q, cells_q = table_rows(rows, with_question=True)
        tx.write_text("sweep.csv", to_csv(cells_q, header_q))
        names: set[str] = set()
        for r in rows:
            if r.plan is None:
                continue
            name = plan_file_name(r.scenario)
            while name in names:
                name += "_"
            names.add(name)
            tx.write_text(f"plans/{name}.csv", plan_to_csv(r.plan))
    out = tx.given
    print(f"\nwrote {out / 'sweep.csv'} and the feasible scenarios' plans in {out / 'plans'}")
    bad = [r for r in rows if not r.readable]
    for r in bad:
        warn(f"could not run {r.path}: {r.note}")
    return 2 if bad else 0


def plan_file_name(scenario: str) -> str:
    """The scenario's name as a file name: letters (Chinese included), digits, - and _ kept, anything else (/, ..,
    NUL, spaces) an underscore, at most 60 characters (a long Chinese name was over the 255 bytes a name may have)."""
    import re

    name = re.sub(r"[^\w\-]", "_", scenario, flags=re.UNICODE)[:60].strip("._") or "scenario"
    return name
