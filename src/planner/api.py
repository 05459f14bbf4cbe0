"""Building a :class:`Context` from files: the one place commands and notebooks start from."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .calendar import CalendarOverride, build_calendar, load_overrides
from .context import Context
from .data import load_catalogue
from .ruleset import RuleSet, load_ruleset


def next_year(today: dt.date | None = None) -> int:
    """The default plan year: the calendar year after today."""
    return (today or dt.date.today()).year + 1


def make_context(
    year: int | None = None,
    rules: str | Path | RuleSet | None = None,
    *,
    catalogue=None,
    calendar_dir: str | Path | None = None,
    overrides: dict[int, CalendarOverride] | None = None,
) -> Context:
    cat = catalogue if catalogue is not None else load_catalogue()
    rs = rules if isinstance(rules, RuleSet) else load_ruleset(rules, cat)
    ovs = dict(load_overrides(calendar_dir))
    ovs.update(overrides or {})
    cal = build_calendar(year if year is not None else next_year(), ovs)
    ctx = Context(cat, cal, rs)
    validate_against_calendar(ctx)
    return ctx


def validate_against_calendar(ctx: Context) -> None:
    """Rule parameters that cannot work in this year's window are input errors, not infeasibility."""
    from .errors import PlannerError

    start, stop = ctx.window
    length = (stop - start).days
    gap = ctx.ruleset.rule("registration_gap")
    if gap is not None and gap.min_days > length:
        raise PlannerError(f"min_days {gap.min_days} is longer than the plan-year window ({length} days, {start} … "
                           f"{stop})", file=ctx.ruleset.source, field="rules.registration_gap.min_days")
    sp = ctx.ruleset.rule("site_spacing")
    if sp is not None and sp.min_days > length:
        raise PlannerError(f"min_days {sp.min_days} is longer than the plan-year window ({length} days)",
                           file=ctx.ruleset.source, field="rules.site_spacing.min_days")
