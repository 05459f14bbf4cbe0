"""``planner publish PLAN --out DIR``: the notice's attachments (XLSX/CSV), calendars, JSON, charts, report."""
from __future__ import annotations


def register(sub) -> None:
    from ..publish.tables import DEFAULT_CLASS_DAYS
    from .common import add_context_options, int_range

    p = sub.add_parser("publish", help="publish a plan: notice.xlsx, CSV, ICS, JSON, charts, report.html")
    p.add_argument("plan", metavar="PLAN", help="plan file: canonical CSV or a published notice.xlsx")
    p.add_argument("--out", metavar="DIR", default="out", help="output folder [default: out]")
    p.add_argument("--allow-violations", action="store_true",
                   help="publish a plan that fails check; every output is marked 未通过规则检查")
    p.add_argument("--class-days", type=int_range(1, 366), default=DEFAULT_CLASS_DAYS, metavar="N",
                   help="training class length in days, ending the day before the exam; the training plan is "
                        f"due one month before the class opens [default {DEFAULT_CLASS_DAYS}]")
    p.add_argument("--summary", metavar="FILE", default=None,
                   help="solver summary.json to show in the report [default: summary.json next to PLAN, if any]")
    p.add_argument("--no-charts", action="store_true", help="skip the charts (faster)")
    add_context_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from ..check import check_plan
    from ..data import load_catalogue
    from ..planio import read_plan
    from ..publish.run import publish_all, read_summary
    from .common import context_from_args, scenario_from_args, warn

    out = Path(args.out)  # publish_all writes one transaction, locked and checked before anything is built
    scenario = scenario_from_args(args, year=args.year)  # a scenario may add institutions: read against it
    plan = read_plan(args.plan, scenario.ctx.catalogue if scenario is not None else load_catalogue(), year=args.year)
    ctx = context_from_args(args, year=plan.year)
    report = check_plan(plan, ctx)
    summary_path = Path(args.summary) if args.summary else Path(args.plan).with_name("summary.json")
    summary = read_summary(summary_path) if summary_path.is_file() else None
    if args.summary and summary is None:
        from ..errors import PlannerError

        raise PlannerError("not a readable summary.json", file=args.summary)
    written = publish_all(plan, ctx, out, report=report, summary=summary, allow_violations=args.allow_violations,
                          class_days=args.class_days, charts=not args.no_charts)
    if not report.ok:
        warn("published a plan that fails check (--allow-violations); every output is marked 未通过规则检查")
    print(f"published {len(plan.sessions)} sessions of {plan.year} into {out}: " + ", ".join(
        sorted({p.relative_to(out).parts[0] for p in written})))
    return 0
