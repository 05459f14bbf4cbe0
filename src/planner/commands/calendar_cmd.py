"""``planner calendar --year Y``: holidays, make-up working days, the plan-year window and its status."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("calendar", help="show the official working-day calendar of a plan year")
    p.add_argument("--year", type=int, default=None, help="plan year (default: next calendar year)")
    p.add_argument("--calendar-dir", metavar="DIR", default=None, help="folder of YEAR.toml calendar overrides")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..api import next_year
    from ..calendar import build_calendar, load_overrides
    from .common import table

    year = args.year if args.year is not None else next_year()
    cal = build_calendar(year, load_overrides(args.calendar_dir))
    start, stop = cal.window()
    print(f"Plan year {year}: window {start} … {stop} ({len(cal.working_days(start, stop))} working days)")
    print(f"Calendar status: {cal.status()}")
    for y in sorted(cal.official):
        print(f"  {y}: {'official' if cal.official[y] else 'PROVISIONAL'} — {cal.sources.get(y, '')}")
    rows = [[d.isoformat(), "日一二三四五六"[(d.weekday() + 1) % 7], name] for d, name in sorted(cal.holidays.items())]
    print("\nHolidays (days off):")
    print(table(rows, ["date", "周", "holiday"]))
    print("\nMake-up working days (调休, weekend days that are working days):")
    mk = sorted(cal.makeup_workdays)
    print(table([[d.isoformat(), "日一二三四五六"[(d.weekday() + 1) % 7], "预计 (predicted; no exam)" if d in cal.predicted
                  else ""] for d in mk], ["date", "周", ""]) if mk else "  none known")
    if cal.closed_days:
        print("\nLocally closed days:")
        print("  " + ", ".join(d.isoformat() for d in sorted(cal.closed_days)))
    if not cal.is_official():
        print("\nPROVISIONAL: days marked （预计）/ 预计 are predicted from the official years before "
              "(README, \"Calendar\"); put the State Council's arrangement in constraints/calendar/<YEAR>.toml "
              "to make it official.")
    return 0
