"""``planner reproduce YEAR``: prove the rule set admits a published plan, then solve the year blind."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_rules_options, add_solver_options

    p = sub.add_parser("reproduce", help="re-derive a published plan (anchored and blind)")
    p.add_argument("year", type=int, help="year of a published plan, e.g. 2024")
    p.add_argument("--published", metavar="PLAN", default=None,
                   help="the published plan (default: scenarios/plan_YEAR.csv)")
    add_rules_options(p)
    p.add_argument("--out", metavar="DIR", default=None, help="also write blind.csv and anchored.csv here")
    add_solver_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import scenarios_dir
    from ..errors import PlannerError
    from .common import output_set

    path = args.published or scenarios_dir() / f"plan_{args.year}.csv"
    if not args.published and not path.exists():
        raise PlannerError(f"no published plan for {args.year} (expected {path}); pass --published", field="year")
    if args.out:
        with output_set(args.out, "reproduce") as tx:  # opened first: an unusable folder fails before solving
            return _reproduce(args, path, tx)
    return _reproduce(args, path, None)


def _reproduce(args, path, tx) -> int:
    from ..data import load_catalogue
    from ..plan import plan_to_csv
    from ..planio import read_plan
    from ..reproduce import reproduce
    from .common import context_from_args, table

    published = read_plan(path, load_catalogue(), year=args.year)
    ctx = context_from_args(args, year=args.year)
    rep = reproduce(ctx, published, seed=args.seed, time_limit=args.time_limit)

    print(f"Reproducing the published {args.year} plan ({len(published.sessions)} sessions) under rule set "
          f"'{ctx.ruleset.name}'; calendar {ctx.calendar.status()}")
    a = rep.anchored
    print(f"\n(a) anchored: {a.unchanged} of {a.total} sessions come back unchanged "
          f"-> {'the rule set admits the published plan' if a.holds else 'NOT admitted'}")
    if a.violations:
        print(table([[v.where(), v.rule, v.message] for v in a.violations], ["session", "rule", "problem"]))
    b = rep.blind
    print(f"\n(b) blind: solved {args.year} from the rule set alone ({b.status}, {b.solve_seconds:.2f} s)")
    if b.rows:
        print(table([[r.stream, str(r.no), r.published.isoformat(), r.generated.isoformat(), f"{r.diff:+d}",
                      r.published_site, r.generated_site] for r in b.rows],
                    ["stream", "期次", "published", "generated", "days", "site (pub.)", "site (gen.)"]))
        print(f"\nmean absolute error: {b.mae:.2f} days "
              + ", ".join(f"{s} {v:.2f}" for s, v in b.mae_by_stream.items()))
        print(f"same institution: {b.same_institution:.1%}; same month: {b.same_month:.1%}; "
              f"both: {b.same_both:.1%}")
    if tx is not None:
        if b.plan is not None:
            tx.write_text("blind.csv", plan_to_csv(b.plan))
        if a.plan is not None:
            tx.write_text("anchored.csv", plan_to_csv(a.plan))
    return 0 if a.holds else 1
