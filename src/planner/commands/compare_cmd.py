"""``planner compare A B``: what changed from plan A to plan B, per session and per site, and a chart."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options

    p = sub.add_parser("compare", help="compare two plans: sessions added/removed/moved, KPI deltas, chart")
    p.add_argument("a", metavar="A", help="plan A (before): canonical CSV or notice.xlsx")
    p.add_argument("b", metavar="B", help="plan B (after)")
    add_context_options(p)
    p.add_argument("--out", metavar="DIR", default="out",
                   help="write compare_sessions.csv, compare_kpis.csv, 比较明细.csv and 比较考点.csv (the same two "
                        "tables in Chinese), with --demand 比较考生.csv (the same candidates in both plans), and the "
                        "chart here [default: out]")
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


#: beyond these sizes a chart is unreadable (and slow to draw): a summary line is printed instead
CHART_MAX_SESSIONS = 400
CHART_MAX_CHANGES = 200


def run(args) -> int:
    from .common import output_set

    with output_set(args.out, "compare") as tx:  # the CSVs and the chart appear together, or not at all
        code = _compare(args, tx)
    print("\nwrote " + ", ".join(str(p) for p in tx.written))
    return code


def _compare(args, tx) -> int:
    from ..charts.compare import compare_chart
    from ..compare import (CHANGE_HEADER, KPI_FILE, KPI_HEADER, change_rows, diff_plans, kpi_rows, kpi_table,
                           summary_line, to_csv)
    from .common import listed, table, warn

    a, b, ctx = load_pair(args)
    changes = diff_plans(a, b)
    print(f"A = {args.a} ({a.year})\nB = {args.b} ({b.year})")
    print(summary_line(a, b, changes))
    rows = change_rows(changes)
    if rows:
        shown, more = listed(rows, "change(s) not listed; every change is in compare_sessions.csv")
        print()
        print(table([r[:-1] for r in shown], CHANGE_HEADER[:-1]))
        if more:
            print(more)
    kpis = kpi_rows(a, b)
    print("\nPer site (gaps in days between consecutive exams at the site):")
    print(table(kpis, KPI_HEADER))
    tx.write_text("compare_sessions.csv", to_csv(rows, CHANGE_HEADER))
    tx.write_text("compare_kpis.csv", to_csv(kpis, KPI_HEADER))
    # the same changes in Chinese for Excel / WPS, as the workbench lists them (dates as 3月6日, 推迟2天)
    from ..publish.revision import COMPARE_FILE, detail_csv, detail_entries

    from ..publish.csvfiles import bom_csv

    tx.write(COMPARE_FILE, detail_csv(detail_entries(changes, {}, ctx, b.year, str), why=False))
    header, zh_rows = kpi_table(a, b, ctx.catalogue)
    tx.write(KPI_FILE, bom_csv(zh_rows, header))
    if ctx.demand is not None:  # the same candidates in both plans: who is seated, who waits
        from ..compare import PEOPLE_FILE, people_table

        header, people = people_table(a, b, ctx, ("A", "B"))
        print(f"\nCandidates ({ctx.demand.status}, the same in both plans):")
        print(table([[str(v) for v in r] for r in people], header))
        tx.write(PEOPLE_FILE, bom_csv(people, header))
    if a.year != b.year:
        warn(f"the plans are for different years ({a.year}, {b.year}): dates are compared as they are")
    sessions = max(len(a.sessions), len(b.sessions))
    if sessions > CHART_MAX_SESSIONS or len(changes) > CHART_MAX_CHANGES:
        print(f"\nno chart: {sessions} sessions and {len(changes)} changes are more than a readable chart holds "
              f"(at most {CHART_MAX_SESSIONS} sessions and {CHART_MAX_CHANGES} changes); see compare_sessions.csv")
    else:
        compare_chart(a, b, ctx, tx.path("compare"))
    return 0
