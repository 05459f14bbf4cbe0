"""Solving a context and writing what a run produces: shared by ``plan``, ``replan`` and scenarios."""
from __future__ import annotations


def solve_and_write(ctx, out, args, reference=None, pins=None, extra_summary=None) -> int:
    """Solve, print, and write plan.csv + summary.json into *out*; the exit code of the run."""
    from ..errors import InfeasibleError, PlannerError
    from ..plan import plan_to_csv
    from ..runinfo import summary_json
    from ..solver import Status, solve
    from ..textio import atomic_write_text
    from .common import table

    result = solve(ctx, seed=args.seed, time_limit=args.time_limit, reference=reference, pins=pins)
    if result.status == Status.INFEASIBLE:
        atomic_write_text(out / "summary.json", summary_json(result, ctx, **(extra_summary or {})))
        raise InfeasibleError("no plan satisfies the rules together: " + "; ".join(result.conflict), result.conflict)
    if not result.status.has_plan:
        raise PlannerError(f"no plan found within the time limit ({args.time_limit}); raise --time-limit", field="time-limit")
    from ..check import check_plan

    report = check_plan(result.plan, ctx)
    if not report.ok:  # cannot happen unless a rule's two faces disagree: refuse to publish such a plan
        raise PlannerError("internal error: the generated plan fails check: " + report.violations[0].message)
    from ..publish.tables import provisional_note

    atomic_write_text(out / "plan.csv", plan_to_csv(result.plan, provisional_note(result.plan, ctx)))
    atomic_write_text(out / "summary.json", summary_json(result, ctx, **(extra_summary or {})))
    if not getattr(args, "no_publish", False):
        from ..publish.run import publish_all
        from ..runinfo import summary_dict

        publish_all(result.plan, ctx, out, report=report, summary=summary_dict(result, ctx, **(extra_summary or {})))
    print(result.summary())
    print()
    rows = [[s.stream, str(s.no), s.registration_deadline.isoformat(), s.exam_date.isoformat(), s.institution, s.kind]
            for s in result.plan.sessions]
    print(table(rows, ["stream", "期次", "deadline", "exam", "institution", "kind"]))
    if not ctx.calendar.is_official():
        print(f"\nNOTE: calendar is {ctx.calendar.status()}: dates in those years may move when the State Council "
              "publishes its arrangement.")
    print(f"\nwrote {out / 'plan.csv'} and {out / 'summary.json'}")
    if not getattr(args, "no_publish", False):
        print(f"published notice.xlsx, CSV, ICS, plan.json, charts and report.html into {out}")
    ctx_result = getattr(args, "_result_sink", None)
    if isinstance(ctx_result, list):
        ctx_result.append((result, report))
    return 0
