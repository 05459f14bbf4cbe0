"""``planner replan PLAN --from DATE``: revise a published plan, changing only what the new facts force."""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    from .common import add_context_options, add_output_options, add_solver_options

    p = sub.add_parser("replan", help="revise a published plan from a date, disturbing the fewest candidates")
    p.add_argument("plan", metavar="PLAN",
                   help="the published plan: a set's notice.xlsx, or the plan.csv planner plan wrote beside it")
    p.add_argument("--from", dest="from_date", metavar="DATE", required=True,
                   help="first day that may change (YYYY-MM-DD); every exam before it is kept (a date before "
                        "the window: every session may move)")
    p.add_argument("--registrations", metavar="CSV", default=None,
                   help="candidates registered per session (header stream,no,报名人数, or the exam system's export "
                        "as `planner demand import` reads it, with 期次): the re-plan then disturbs "
                        "the fewest candidates first; without it, --demand's expected candidates per published "
                        "session are counted instead")
    p.add_argument("--reason", metavar="TEXT", default="",
                   help="the reason printed in the revision notice (Chinese, one line; default: from the "
                        "scenario, e.g. a closure's own reason)")
    p.add_argument("--keep", metavar="STREAM#NO", action="append", default=[],
                   help="keep this published session as it is (refuse a proposed change); repeatable")
    p.add_argument("--draft", action="store_true",
                   help="PLAN was never published (a draft): re-plan it all the same, without a revision notice")
    add_context_options(p)
    add_solver_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import datetime as dt

    from ..errors import PlannerError
    from ..publish.revision import DETAIL_FILE, check_reason
    from .common import output_set
    from .output import print_written

    try:
        from_date = dt.date.fromisoformat(args.from_date)
    except ValueError:
        raise PlannerError(f"not a date in YYYY-MM-DD form: {args.from_date!r}", field="from") from None
    args.reason = check_reason(args.reason)  # before anything is read or written
    with output_set(args.out, "replan") as tx:  # plan.csv, summary.json, changes.csv and the publish set: one set
        code = _replan(args, from_date, tx)
    print_written(tx.given, args)
    print(f"wrote {tx.given / 'changes.csv'} and {tx.given / DETAIL_FILE} (the same changes in Chinese)")
    return code


def _keys(texts: list[str]) -> list[tuple[str, int]]:
    from ..errors import PlannerError

    out = []
    for t in texts:
        stream, _, no = t.partition("#")
        if not stream or not no.isdigit() or len(no) > 3:  # 期次 has at most 3 digits (int() refuses 4 300)
            raise PlannerError(f"not STREAM#NO (e.g. special_ops#25): {t[:40]!r}", field="keep")
        out.append((stream, int(no)))
    return out


def _replan(args, from_date, tx) -> int:
    import datetime as dt

    from ..compare import moves, to_csv
    from ..data import load_catalogue
    from ..errors import PlannerError
    from ..plan import plan_to_csv
    from ..planio import read_plan
    from ..publish.revision import DETAIL_FILE, detail_csv, detail_entries, people_basis, published_notice
    from ..replan import REPLAN_HEADER, Replan, changes_rows, check_kept, expected_people, explain_changes, \
        people_tiers, read_people, replan_pins
    from .common import context_from_args, scenario_from_args, table, with_demand_from_args
    from .output import solve_and_write

    scenario = scenario_from_args(args)
    catalogue = scenario.ctx.catalogue if scenario else load_catalogue()
    plan = read_plan(args.plan, catalogue, year=args.year)
    if scenario is not None and scenario.year != plan.year:
        raise PlannerError(f"the scenario plans {scenario.year}, the plan is for {plan.year}", file=scenario.path,
                           field="year")
    original = None if args.draft else published_notice(args.plan, plan)
    ctx = (with_demand_from_args(scenario.ctx, args, scenario) if scenario
           else context_from_args(args, year=plan.year)).revising(plan, from_date)
    start, stop = ctx.window
    if from_date > stop + dt.timedelta(days=1):
        raise PlannerError(f"{from_date} is after the plan year's window {start} … {stop}: nothing is left to "
                           "re-plan", field="from")  # a date before the window: every session may move
    issued = None
    if args.issued:
        try:
            issued = dt.date.fromisoformat(args.issued)
        except ValueError:
            raise PlannerError(f"not a date in YYYY-MM-DD form: {args.issued!r}", field="issued") from None
    # registrations are what candidates did; the demand model only what they are expected to do: the first wins
    notes: list[str] = []
    people = read_people(args.registrations, plan, catalogue, notes) if args.registrations else \
        expected_people(plan, ctx)
    for note in notes:  # a row pasted twice is counted twice: the planner decides
        print(note, file=sys.stderr)
    counted = "registered" if args.registrations else "expected"
    pins, where = replan_pins(plan, from_date, scenario, _keys(args.keep))
    check_kept(pins, ctx, where)
    print(f"Re-planning {args.plan} from {from_date}: {len(pins)} session(s) kept as published"
          + (f"; scenario {scenario.name}" if scenario else "")
          + (f"; {sum(people.values())} {counted} candidates" if people else "") + "\n")
    sink: list = []
    args._result_sink = sink
    extra = {"replan_of": Path(args.plan).name, "replan_from": from_date.isoformat(), "kept": len(pins)}
    if scenario is not None:
        extra["scenario"] = str(scenario.path)
    outcome: dict = {}

    def revision(new):
        """The revision notice (and the calendars' SEQUENCE) of the solved plan, built into the same set."""
        from ..publish.ics import ics_files
        from ..publish.run import read_previous_ics

        rp = explain_changes(Replan(_Result(new), pins, ctx), plan, from_date, people)
        outcome["rp"] = rp
        if original is None:  # a draft: nobody was told, so there is nothing to revise publicly
            return {}
        reasons = dict(rp.reasons)
        reasons["original"] = original
        if args.reason:
            reasons["*"] = args.reason
        return {"revision_of": plan, "revision_reasons": reasons, "issued": issued,
                "previous_ics": read_previous_ics(Path(args.plan).parent)
                or ics_files(plan, ctx)}

    tiers = people_tiers(plan, people, from_date) if people else None
    code = solve_and_write(ctx, tx, args, reference=plan, pins=pins, extra_summary=extra, first_tiers=tiers,
                           publish_extra=revision)
    if not sink:
        return code
    rp = outcome.get("rp") or explain_changes(Replan(sink[0][0], pins, ctx), plan, from_date, people)
    rows = changes_rows(rp)
    tx.write_text("changes.csv", to_csv(rows, REPLAN_HEADER))
    # the same rows in Chinese, as the workbench's 调整 page shows them and offers them for download
    from ..web.i18n import rule_title

    basis = (people_basis("registrations") if args.registrations else people_basis("demand", ctx.demand.status)
             if people else "")
    entries = detail_entries(rp.changes, {(r[1], int(r[2])): r for r in rows}, ctx, plan.year, rule_title)
    tx.write(DETAIL_FILE, detail_csv(entries, basis))
    # the plan revised, kept in the set: `planner check` judges plan.csv as a revision of it
    tx.write_text("revision_of.csv", plan_to_csv(plan))
    n, days = moves(rp.changes)
    sites = sum(c.site_changed for c in rp.changes)
    print(f"\nWhat changed against {args.plan}: {n} session(s) changed ({sites} at another site), {days} days moved "
          "in total" + (f", {sum(c.what == 'added' for c in rp.changes)} added, "
                        f"{sum(c.what == 'removed' for c in rp.changes)} removed"
                        if any(c.what in ('added', 'removed') for c in rp.changes) else "")
          + (f"; {rp.candidates_affected} {counted} candidate(s) affected ({rp.disturbance} points)"
             if people else ""))
    if rows:
        print(table([[r[1] + " #" + r[2], r[3], r[4], r[5], r[6], r[7], r[10], r[13]] for r in rows],
                    ["session", "exam before", "exam after", "days", "site before", "site after", "candidates",
                     "why"]))
    _warn_lost(rp, ctx)
    return code


def _warn_lost(rp, ctx) -> None:
    """A session moved to a site that does not examine some of its operation types: its candidates registered for
    those cannot sit it there (the 调整通知 and 调整明细 tell them to register for another session). How many, where
    the candidates are known per category or type (the re-plan priced them so: ``replan.stranded``)."""
    from ..publish.revision import lost_operations

    for c in rp.changes:
        lost = lost_operations(c, ctx)
        if lost:
            cost = rp.people.get((c.stream, c.no))
            counted = f" ({cost.stranded} of its {cost.candidates} candidates)" if cost and cost.stranded else ""
            when = f" on {c.new.exam_date}" if c.old.institution == c.new.institution else ""  # a licence ended
            print(f"warning: {c.label()} moves from {c.old.institution} to {c.new.institution}, which does not "
                  f"examine {', '.join(lost)}{when}: candidates registered for those{counted} cannot sit it there "
                  "(the revision notice tells them to register for another session)", file=sys.stderr)


class _Result:
    """The part of a solver result explain_changes reads (the publish hook sees only the plan)."""

    def __init__(self, plan) -> None:
        self.plan = plan
