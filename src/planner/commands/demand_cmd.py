"""``planner demand``: the candidates and seats behind the waiting rules — import a bureau's registrations, show one."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("demand", help="import a bureau's registration export as a demand file, or show one")
    s = p.add_subparsers(dest="action", metavar="ACTION")
    s.required = True
    imp = s.add_parser("import", help="per-session registrations (CSV/XLSX) -> a demand file (status 实际)")
    imp.add_argument("export", metavar="EXPORT", help="the exam system's per-session registration export")
    imp.add_argument("--out", metavar="FILE", required=True, help="the demand TOML to write")
    imp.add_argument("--base", metavar="FILE", default=None,
                     help="demand file whose seats and retake assumptions are kept [default: the shipped estimate]")
    imp.add_argument("--plan", metavar="PLAN", default=None,
                     help="the plan (plan.csv or notice.xlsx) whose 期次 the export numbers: dates the sessions of an "
                          "export without 考试日期")
    show = s.add_parser("show", help="a demand file's candidates per stream and category, and seats per site")
    show.add_argument("file", metavar="FILE", nargs="?", default=None, help="[default: constraints/demand.toml]")
    show.add_argument("--year", type=int, default=None, help="plan year whose window spreads the candidates")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import load_catalogue

    cat = load_catalogue()
    if args.action == "import":
        from ..demand import default_demand_path, demand_to_toml, load_demand
        from ..demand_import import import_registrations
        from ..textio import atomic_write_text

        from pathlib import Path

        from ..errors import PlannerError

        out = Path(args.out)
        if out.is_dir():
            raise PlannerError("is a folder: give the demand file's name, e.g. demand.toml", file=args.out,
                               field="out")
        if out.exists() and not out.is_file():  # a FIFO or a device would be replaced by the new file
            raise PlannerError("is not a regular file: give the demand file's name, e.g. demand.toml", file=args.out,
                               field="out")
        for given, name in ((args.export, "export"), (args.base, "base"), (args.plan, "plan")):
            if given and out.exists() and Path(given).exists() and out.samefile(given):
                raise PlannerError(f"is the {name} file it reads: give the new demand file another name",
                                   file=args.out, field="out")
        base = load_demand(args.base or default_demand_path(), cat)
        plan = None
        if args.plan:
            from ..planio import read_plan

            plan = read_plan(args.plan, cat)
        demand, notes = import_registrations(args.export, cat, base, plan)
        text = demand_to_toml(demand, f"Imported from {args.export} by planner demand import.")
        check_readable(text, args.export, cat)
        atomic_write_text(args.out, text)
        for line in notes:
            print(line)
        print(f"wrote {args.out}")
        return 0
    from ..api import make_context
    from ..demand import default_demand_path, load_demand
    from .common import table

    path = args.file or default_demand_path()
    ctx = make_context(args.year, demand=load_demand(path, cat))
    from ..regulation import demand_notes

    rows = []
    for sid, sf in ctx.demand.streams.items():
        sd = ctx.demand.demand.streams[sid]
        for c in sf.categories:
            cd, ln = sd.categories[c], sf.lines[c]
            # entering + renewal wave + old renewals (negative) + returning = registrations: the queue's count;
            # the returns that fall after the window's end are the next year's, beside it
            rows.append([sid, cat.category_name(c), str(ln["entering"]), str(ln["renewal_wave"]),
                         str(-ln["renewal_replaced"]), str(ln["returning"]),
                         str(sf.total(c)), str(ln.get("returning_next_year", 0)), f"{cd.show_rate:.3f}",
                         f"{cd.pass_rate:.3f}"])
    print(f"{path} ({ctx.demand.status}), plan year {ctx.year}, window {ctx.window[0]} … {ctx.window[1]}")
    print(table(rows, ["stream", "category", "entering", "renewal wave", "old renewals", "returning",
                       "registrations", "returning next year", "show", "pass"]))
    seats = [[i, str(s.seats_per_day), str(s.days_per_session), str(s.max_days)]
             for i, s in ctx.demand.demand.sites.items()]
    print()
    print(table(seats, ["site", "seats/day", "days/session", "max days"]))
    notes = demand_notes(ctx)
    if notes:
        print()
        print("\n".join(notes))
    return 0


def check_readable(text: str, export, catalogue) -> None:
    """The demand file about to be written reads back through the loader's own checks, or nothing is written: an
    export whose figures the file cannot hold (more candidates than a demand file allows, rates that would bring
    nine in ten back) is bad input, named as the loader names it."""
    import tomllib

    from ..demand import demand_from_dict
    from ..errors import PlannerError

    try:
        demand_from_dict(tomllib.loads(text), export, catalogue)
    except PlannerError as err:
        what = f"{err.field}: {err.message}" if err.field else err.message
        raise PlannerError(f"the demand these registrations give cannot be kept ({what})", file=export) from None
