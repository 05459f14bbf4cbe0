"""Options and helpers shared by the sub-commands, defined once."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_rules_options(p: argparse.ArgumentParser) -> None:
    """The rule set and the calendar a command plans or checks under."""
    p.add_argument("--rules", metavar="FILE", default=None,
                   help="rule set TOML (default: $PLANNER_RULES, else the embedded constraints/yuncheng.toml)")
    p.add_argument("--calendar-dir", metavar="DIR", default=None,
                   help="folder of YEAR.toml calendar overrides (default: constraints/calendar)")


def add_context_options(p: argparse.ArgumentParser, year: bool = True) -> None:
    if year:
        p.add_argument("--year", type=int, default=None, help="plan year (default: next calendar year)")
    add_rules_options(p)
    p.add_argument("--scenario", metavar="FILE", default=None,
                   help="scenario TOML (what-if: extends, overrides, closures, pins; see scenarios/README.md)")
    p.add_argument("--demand", metavar="FILE", default=None,
                   help="expected candidates and seats (constraints/demand.toml for the shipped estimate, or a "
                        "bureau's own file; see constraints/README.md): waits and seats join the plan")


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Where a solving command writes, and whether it also publishes (plan, replan)."""
    p.add_argument("--out", metavar="DIR", default="out", help="output folder [default: out]")
    p.add_argument("--no-publish", action="store_true",
                   help="write only plan.csv and summary.json (skip notice.xlsx, CSV, ICS, charts, report)")
    add_notice_options(p)


def add_notice_options(p: argparse.ArgumentParser) -> None:
    """The notice's own parts (plan, replan, publish): PDFs, 成文日期, 发文字号, the bureau's sections."""
    p.add_argument("--no-pdf", action="store_true",
                   help="skip notice.pdf (LibreOffice, a few seconds) and calendar_a3.pdf; PLANNER_PDF=0 does the same")
    p.add_argument("--issued", metavar="DATE", default=None,
                   help="成文日期 and 印发日期 (YYYY-MM-DD, not in the future) [default: today]")
    p.add_argument("--doc-number", metavar="N", default="",
                   help="发文字号: the serial number (12 → 运应急发〔YEAR〕12号) or the whole 字号 "
                        "[default: a blank to fill in, listed in 发布前核对.txt]")
    p.add_argument("--sections", metavar="FILE", default=None,
                   help="the bureau's own sections of the notice, Markdown (see constraints/notice/README.md) "
                        "[default: constraints/notice/sections/YEAR.md if there is one]")


def notice_options(args) -> dict:
    """build_outputs options from :func:`add_notice_options`' arguments (a bad date is one line, exit 2)."""
    import datetime as dt
    import os

    from ..errors import PlannerError

    from ..textio import one_line

    pdf = not args.no_pdf and os.environ.get("PLANNER_PDF", "").strip() != "0"
    from ..publish.letterhead import checked_number

    # refused before any solve: a plan's 30 s are not spent on a notice that cannot be printed
    number = checked_number(one_line(args.doc_number, "the 发文字号 (one line of the letterhead)",
                                     fieldname="doc-number"), "doc-number")
    options: dict = {"notice_pdf": pdf, "document_number": number, "sections": args.sections}
    if args.issued:
        try:
            options["issued"] = dt.date.fromisoformat(args.issued)
        except ValueError:
            raise PlannerError(f"not a date in YYYY-MM-DD form: {args.issued!r}", field="issued") from None
    return options


#: the longest solver limit accepted (a day): a larger or infinite one is not a limit
MAX_TIME_LIMIT = 86_400.0


def positive_float(text: str) -> float:
    """argparse type: a time limit above 0 and at most a day (0 could never find a plan; inf never ends)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {_short(text)!r}") from None
    if not 0 < value <= MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_TIME_LIMIT:g}, got {_short(text)}")
    return value


def int_range(low: int, high: int):
    """argparse type: a whole number in [low, high], refused with the range (no overflow further down)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {_short(text)!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {_short(text)}")
        return value

    parse.__name__ = "whole number"
    return parse


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "…"


#: ``--time-limit``'s default, which the workbench's 生成 and 重新排期 use too (the same plan for the same inputs)
TIME_LIMIT = 30.0


def add_solver_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", type=positive_float, default=TIME_LIMIT, metavar="S",
                   help="limit for the whole search (re-planning tiers and explanation included), in CP-SAT "
                        "deterministic time units, with the same number of wall-clock seconds as a backstop "
                        "[default 30]")
    p.add_argument("--seed", type=int_range(0, 2**31 - 1), default=0, metavar="N",
                   help="solver random seed [default 0]")


def add_search_option(p: argparse.ArgumentParser) -> None:
    """``--thorough``: with candidates, CP-SAT's search with the queue after the quick answer (``solve(quick=...)``)."""
    p.add_argument("--thorough", action="store_true",
                   help="with --demand: after the quick answer (the plan without candidates, its sessions moved one "
                        "at a time while that lowers the cost; about as fast as without --demand), search on "
                        "with CP-SAT's model of the queue until --time-limit, for shorter waits (8-10 s on the "
                        "estimates at the default limit). Without --demand it changes nothing")


def scenario_from_args(args, year: int | None = None):
    """The scenario named by ``--scenario`` (``--year`` or *year* overriding its year), or None."""
    path = getattr(args, "scenario", None)
    if not path:
        return None
    from ..errors import PlannerError
    from ..scenario import load_scenario

    if args.rules:
        raise PlannerError("--rules and --scenario together: name the base rule set in the scenario's "
                           "'rules' key instead", field="rules")
    return load_scenario(path, year=year if year is not None else getattr(args, "year", None),
                         calendar_dir=args.calendar_dir)


def context_from_args(args, year: int | None = None):
    from ..api import make_context

    scenario = scenario_from_args(args, year)
    if scenario is not None:
        return with_demand_from_args(scenario.ctx, args, scenario)
    return with_demand_from_args(make_context(year if year is not None else getattr(args, "year", None), args.rules,
                                              calendar_dir=args.calendar_dir), args)


def with_demand_from_args(ctx, args, scenario=None):
    """*ctx* with the candidates and seats of ``--demand`` (unchanged without it), scaled by the *scenario*'s
    ``demand_percent``."""
    path = getattr(args, "demand", None)
    if not path:
        return ctx
    from ..demand import load_demand

    demand = load_demand(path, ctx.catalogue)
    return ctx.with_demand(scenario.scale_demand(demand) if scenario is not None else demand)


def warn(msg: str) -> None:
    print(f"planner: {msg}", file=sys.stderr)


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain aligned text table (CJK characters count double width)."""
    import unicodedata

    def width(s: str) -> int:
        if s.isascii():
            return len(s)
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    cols = [header] + rows
    widths = [max(width(str(r[i])) for r in cols) for i in range(len(header))]
    out = []
    for n, r in enumerate(cols):
        out.append("  ".join(str(c) + " " * (widths[i] - width(str(c))) for i, c in enumerate(r)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


#: a terminal listing longer than this is cut, with a line saying how many rows were left out and where they are
MAX_LISTED = 200


def listed(rows: list, what: str) -> tuple[list, str]:
    """The first :data:`MAX_LISTED` rows, and a line about the rest ('' when nothing was left out)."""
    if len(rows) <= MAX_LISTED:
        return rows, ""
    return rows[:MAX_LISTED], f"… and {len(rows) - MAX_LISTED} more {what}"


def output_set(path: str | Path, command: str):
    """The transaction a command writes its outputs through (see :mod:`planner.outset`); use with ``with``.

    Opened before any solving, so an unusable or busy folder fails fast.
    """
    from ..outset import OutputSet

    return OutputSet(path, command)
