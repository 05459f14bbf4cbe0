"""``planner publish PLAN --out DIR``: the notice's attachments (XLSX/CSV), calendars, JSON, charts, report."""
from __future__ import annotations


def register(sub) -> None:
    from ..publish.tables import DEFAULT_CLASS_DAYS
    from .common import add_context_options, add_notice_options, int_range

    p = sub.add_parser("publish", help="publish a plan: notice.docx/.pdf/.xlsx, CSV, ICS, JSON, charts, "
                                       "calendar_a3.pdf, report.html")
    p.add_argument("plan", metavar="PLAN", help="plan file: canonical CSV or a published notice.xlsx")
    p.add_argument("--out", metavar="DIR", default="out", help="output folder [default: out]")
    p.add_argument("--allow-violations", action="store_true",
                   help="publish a plan that fails check; every output is marked 未通过规则检查")
    p.add_argument("--class-days", type=int_range(1, 366), default=DEFAULT_CLASS_DAYS, metavar="N",
                   help="training class length in days, ending the day before the exam; the training plan is "
                        f"due one month before the class opens [default {DEFAULT_CLASS_DAYS}]")
    p.add_argument("--summary", metavar="FILE", default=None,
                   help="solver summary.json to show in the report [default: summary.json next to PLAN, if any]")
    p.add_argument("--no-charts", action="store_true", help="skip the charts and the A3 wall calendar (faster)")
    p.add_argument("--template", metavar="FILE", default=None,
                   help="the notice body template to use instead of the shipped notice_body.md.j2 (Jinja2)")
    p.add_argument("--revision-of", metavar="OLD", default=None,
                   help="the plan as published before: also write revision.docx/.xlsx (调整通知) listing the changed "
                        "sessions, and raise the ICS SEQUENCE of changed events only")
    p.add_argument("--reason", metavar="TEXT", default="", help="the reason printed in the revision notice (Chinese)")
    add_notice_options(p)
    add_context_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from ..check import check_plan
    from ..data import load_catalogue
    from ..plan import check_publishable
    from ..planio import read_plan
    from ..publish.run import publish_all, read_summary
    from .common import context_from_args, scenario_from_args, warn

    out = Path(args.out)  # publish_all writes one transaction, locked and checked before anything is built
    scenario = scenario_from_args(args, year=args.year)  # a scenario may add institutions: read against it
    plan = read_plan(args.plan, scenario.ctx.catalogue if scenario is not None else load_catalogue(), year=args.year)
    check_publishable(plan, args.plan)
    ctx = context_from_args(args, year=plan.year)
    if args.revision_of:  # a revision is checked as one: the rules of a fresh year's generation bind only new 期次
        ctx = ctx.revising(_published_old(args, plan, ctx)[0])
    report = check_plan(plan, ctx)
    summary_path = Path(args.summary) if args.summary else Path(args.plan).with_name("summary.json")
    summary = read_summary(summary_path) if summary_path.is_file() else None
    if args.summary and summary is None:
        from ..errors import PlannerError

        raise PlannerError("not a readable summary.json", file=args.summary)
    options = publish_options(args, plan, ctx, out)
    from ..publish.workers import start_workers

    with start_workers(ctx, publish=True) as workers:  # charts and documents on the second core
        written = publish_all(plan, ctx, out, report=report, summary=summary, allow_violations=args.allow_violations,
                              class_days=args.class_days, charts=not args.no_charts, workers=workers, **options)
    from ..publish.checklist import warn_if_listed

    warn_if_listed(out)
    if not report.ok:
        warn("published a plan that fails check (--allow-violations); every output is marked 未通过规则检查")
    print(f"published {len(plan.sessions)} sessions of {plan.year} into {out}: " + ", ".join(
        sorted({p.relative_to(out).parts[0] for p in written})))
    return 0


def publish_options(args, plan, ctx, out) -> dict:
    """build_outputs options of ``publish``: PDFs, template, the notice's own parts, and the revision against OLD."""
    from pathlib import Path

    from ..publish.ics import ics_files
    from ..publish.run import read_previous_ics
    from ..textio import read_text

    from .common import notice_options

    options: dict = notice_options(args)
    options["wall_calendar"] = not args.no_charts and options["notice_pdf"]
    if args.template:
        options["template"] = read_text(args.template)
        options["template_name"] = str(args.template)
    if args.revision_of:
        old, original = _published_old(args, plan, ctx)
        options["revision_of"] = old
        options["revision_reasons"] = replan_reasons(Path(args.plan).with_name("changes.csv"))
        options["revision_reasons"]["original"] = original
        if args.reason:
            from ..publish.revision import check_reason

            options["revision_reasons"]["*"] = check_reason(args.reason)
        # the calendars as subscribed: the folder's, else those published beside OLD (a second revision into a new
        # folder must count on from the first's SEQUENCE), else the old plan's own (every event at SEQUENCE 0)
        options["previous_ics"] = (read_previous_ics(out) or read_previous_ics(Path(args.revision_of).parent)
                                   or ics_files(old, ctx))
    return options


def _published_old(args, plan, ctx):
    """The plan OLD of ``--revision-of`` and its notice's title and 发文字号; bad input unless OLD was published."""
    from ..errors import PlannerError
    from ..planio import read_plan
    from ..publish.revision import published_notice

    old = read_plan(args.revision_of, ctx.catalogue, year=plan.year)
    if old.year != plan.year:
        raise PlannerError(f"the old plan is for {old.year}, the new one for {plan.year}", file=args.revision_of)
    return old, published_notice(args.revision_of, old)


def replan_reasons(path) -> dict:
    """(stream, 期次) -> the reason in Chinese, from the changes.csv ``planner replan`` wrote next to the plan."""
    from ..errors import PlannerError
    from ..publish.revision import row_reason_text
    from ..replan import REPLAN_HEADER
    from ..textio import from_csv_field, read_csv_rows

    if not path.is_file():
        return {}
    try:
        rows = read_csv_rows(path, REPLAN_HEADER)
    except PlannerError:
        return {}  # not ours to judge: the revision then says only what changed
    out = {}
    for _, rec in rows:
        why = row_reason_text(from_csv_field(rec["rule"]), from_csv_field(rec["reason"]))  # written by compare.to_csv
        if why and rec["no"].isdigit():
            out[(rec["stream"], int(rec["no"]))] = why
    return out
