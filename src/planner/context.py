"""Everything a rule needs to know besides the plan: the notice's facts, the calendar, the rule set."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from .calendar import WorkCalendar
from .data import Catalogue
from .ruleset import RuleSet


@dataclass
class Context:
    catalogue: Catalogue
    calendar: WorkCalendar
    ruleset: RuleSet

    @property
    def year(self) -> int:
        return self.calendar.year

    @cached_property
    def window(self) -> tuple[dt.date, dt.date]:
        return self.calendar.window()

    def sites(self, stream: str) -> tuple[str, ...]:
        """The exam sites configured for *stream*, in rotation order."""
        return self.ruleset.stream_sites(stream)

    def closures(self) -> dict[str, list[tuple[dt.date, dt.date]]]:
        rule = self.ruleset.rule("institution_open")
        return rule.by_site() if rule is not None else {}

    def is_open(self, institution: str, day: dt.date) -> bool:
        return not any(a <= day <= b for a, b in self.closures().get(institution, ()))
