"""Solving a context and writing what a run produces: shared by ``plan``, ``replan`` and scenarios."""
from __future__ import annotations


def solve_and_write(ctx, tx, args, reference=None, pins=None, extra_summary=None, first_tiers=None,
                    publish_extra=None, start=None, quick=False) -> int:
    """Solve, print, and add plan.csv + summary.json (+ the publish set) to the output set *tx*.

    When publishing, the publish workers are forked first (before OR-Tools is imported), so they load
    matplotlib and the document libraries while the solve runs (:mod:`planner.publish.workers`).

    *first_tiers*, *start* and *quick* go to :func:`planner.solver.solve`; *publish_extra*: ``plan -> dict`` of further
    :func:`planner.publish.run.build_outputs` options for the solved plan (a re-plan's revision notice).

    Nothing reaches the output folder unless the whole run succeeds: an infeasible or unfinished
    search raises, and the caller's transaction leaves the previous set as it was.
    """
    from ..publish.workers import start_workers

    with start_workers(ctx, publish=not getattr(args, "no_publish", False)) as workers:
        return _solve_and_write(ctx, tx, args, reference, pins, extra_summary, workers, first_tiers, publish_extra,
                                start, quick)


def _solve_and_write(ctx, tx, args, reference, pins, extra_summary, workers, first_tiers=None,
                     publish_extra=None, start=None, quick=False) -> int:
    from ..solver import solve

    result = solve(ctx, seed=args.seed, time_limit=args.time_limit, reference=reference, pins=pins,
                   first_tiers=first_tiers, start=start, quick=quick)
    return write_result(result, ctx, tx, args, extra_summary, workers, publish_extra)


def write_result(result, ctx, tx, args, extra_summary=None, workers=None, publish_extra=None) -> int:
    """Print a solved year and add plan.csv + summary.json (+ the publish set) to *tx*; refuse a run without a plan."""
    from ..errors import InfeasibleError
    from ..plan import plan_to_csv
    from ..runinfo import summary_dict, summary_json
    from ..solver import NOT_MINIMAL, Status
    from .common import table

    if result.status == Status.INFEASIBLE:
        raise InfeasibleError("no plan satisfies the rules together: " + "; ".join(result.conflict)
                              + ("" if result.conflict_minimal else NOT_MINIMAL), result.conflict, result.conflict_minimal)
    if not result.status.has_plan:
        from ..solver import time_limit_error

        raise time_limit_error(result, ctx, args.time_limit, "; raise --time-limit")
    report = result.report  # solve() checked the plan and refuses one that fails
    # the documented header is plan.csv's first line; a provisional calendar is said beside it, in summary.json
    # ("calendar", "calendar_official") and the published plan.json ("calendar_note")
    tx.write_text("plan.csv", plan_to_csv(result.plan))
    tx.write_text("summary.json", summary_json(result, ctx, **(extra_summary or {})))
    if not getattr(args, "no_publish", False):
        from ..publish.run import publish_all
        from .common import notice_options

        options = notice_options(args)  # the same set as ``planner publish`` writes
        options.update(publish_extra(result.plan) if publish_extra else {})  # a re-plan's revision (and its date)
        publish_all(result.plan, ctx, tx, report=report, summary=summary_dict(result, ctx, **(extra_summary or {})),
                    workers=workers, wall_calendar=options["notice_pdf"], **options)
    print(result.summary())
    print()
    rows = [[s.stream, str(s.no), s.registration_deadline.isoformat(), s.exam_date.isoformat(), s.institution, s.kind]
            for s in result.plan.sessions]
    print(table(rows, ["stream", "期次", "deadline", "exam", "institution", "kind"]))
    if not ctx.calendar.is_official():
        print(f"\nNOTE: calendar is {ctx.calendar.status()}: dates in those years may move when the State Council "
              "publishes its arrangement.")
    ctx_result = getattr(args, "_result_sink", None)
    if isinstance(ctx_result, list):
        ctx_result.append((result, report))
    return 0


def print_written(out, args) -> None:
    """After the set is committed: say what is now in *out*."""
    print(f"\nwrote {out / 'plan.csv'} and {out / 'summary.json'}")
    if not getattr(args, "no_publish", False):
        from ..publish.checklist import warn_if_listed

        warn_if_listed(out)
        pdf = not getattr(args, "no_pdf", False) and (out / "notice.pdf").exists()
        revised = ", revision.docx/.xlsx" + ("/.pdf" if pdf else "") if (out / "revision.docx").exists() else ""
        print(f"published notice.docx{'/.pdf' if pdf else ''}, notice.xlsx{revised}, CSV, ICS, plan.json, charts"
              f"{', calendar_a3.pdf' if (out / 'calendar_a3.pdf').exists() else ''} and report.html into {out}")
