"""``planner compare A B``: what changed from plan A to plan B, per session and per site, and a chart."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options

    p = sub.add_parser("compare", help="compare two plans: sessions added/removed/moved, KPI deltas, chart")
    p.add_argument("a", metavar="A", help="plan A (before): canonical CSV or notice.xlsx")
    p.add_argument("b", metavar="B", help="plan B (after)")
    add_context_options(p)
    p.add_argument("--out", metavar="DIR", default="out",
                   help="write compare_sessions.csv, compare_kpis.csv and the chart here [default: out]")
    p.set_defaults(func=run)


def load_pair(args):
    """Both plans and a context for B's year (a scenario supplies new institutions and rules)."""
    from ..data import load_catalogue
    from ..planio import read_plan
    from .common import context_from_args, scenario_from_args

    scenario = scenario_from_args(args)
    catalogue = scenario.ctx.catalogue if scenario else load_catalogue()
    a = read_plan(args.a, catalogue)
    b = read_plan(args.b, catalogue)
    ctx = scenario.ctx if scenario else context_from_args(args, year=b.year)
    return a, b, ctx


def run(args) -> int:
    from ..charts.compare import compare_chart
    from ..compare import CHANGE_HEADER, KPI_HEADER, change_rows, diff_plans, kpi_rows, summary_line, to_csv
    from ..textio import atomic_write_text
    from .common import out_dir, table, warn

    out = out_dir(args.out)
    a, b, ctx = load_pair(args)
    changes = diff_plans(a, b)
    print(f"A = {args.a} ({a.year})\nB = {args.b} ({b.year})")
    print(summary_line(a, b, changes))
    rows = change_rows(changes)
    if rows:
        print()
        print(table([r[:-1] for r in rows], CHANGE_HEADER[:-1]))
    kpis = kpi_rows(a, b)
    print("\nPer site (gaps in days between consecutive exams at the site):")
    print(table(kpis, KPI_HEADER))
    atomic_write_text(out / "compare_sessions.csv", to_csv(rows, CHANGE_HEADER))
    atomic_write_text(out / "compare_kpis.csv", to_csv(kpis, KPI_HEADER))
    written = [out / "compare_sessions.csv", out / "compare_kpis.csv"]
    if a.year != b.year:
        warn(f"the plans are for different years ({a.year}, {b.year}): dates are compared as they are")
    written += compare_chart(a, b, ctx, out / "compare")
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0
