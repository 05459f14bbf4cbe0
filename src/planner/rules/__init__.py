"""The rule catalogue: one file per rule, each with a check face and a CP-SAT face.

Hard rules (``RULES``) must hold; preferences (``PREFERENCES``) are weighted penalties.
The rule set TOML names them by these keys. A new rule is its file, one line in the tuple below and
its table in the rule-set TOML: everything else about it (parameters, facts, Chinese wording,
structure, peers) is read off the class, so no other module keeps a list of rules.
"""
from __future__ import annotations

from .base import REQUIRED, Param, Preference, Rule, Violation, Wording
from .coverage import Coverage
from .daily_cap import DailyCap
from .holiday_deadline import HolidayDeadline
from .institution_open import InstitutionOpen
from .kind import Kind
from .numbering import Numbering
from .plan_window import PlanWindow
from .preferred_gap import PreferredGap
from .refresher_first_cycle import RefresherFirstCycle
from .registration_gap import RegistrationGap
from .rotation import Rotation
from .scope import Scope
from .session_count import SessionCount
from .short_wait import ShortWait
from .site_spacing import SiteSpacing
from .spread import EvenSpread, MonthlyCycle
from .stream_spacing import StreamSpacing
from .waiting import Waiting
from .working_day import WorkingDay

RULES: dict[str, type[Rule]] = {
    r.name: r
    for r in (WorkingDay, PlanWindow, RegistrationGap, HolidayDeadline, DailyCap, Rotation, Scope, InstitutionOpen,
              SiteSpacing, StreamSpacing, SessionCount, Numbering, Kind, Coverage, Waiting)
}
PREFERENCES: dict[str, type[Preference]] = {
    p.name: p for p in (PreferredGap, MonthlyCycle, EvenSpread, RefresherFirstCycle, ShortWait)
}



def rule_class(name: str) -> type[Rule] | None:
    """The registered rule or preference called *name* (None for anything else, e.g. ``pin``)."""
    return RULES.get(name) or PREFERENCES.get(name)


def registered() -> list[type[Rule]]:
    """Every registered rule, hard ones first, in registry order."""
    return [*RULES.values(), *PREFERENCES.values()]


def is_structural(name: str) -> bool:
    cls = rule_class(name)
    return cls is not None and cls.structural


def modelled_by(peer: str) -> frozenset[str]:
    """Names of the rules and preferences *peer* (a ``benchmarks/peers`` module) formulates."""
    return frozenset(c.name for c in registered() if peer in c.peers)


__all__ = ["RULES", "PREFERENCES", "REQUIRED", "Rule", "Preference", "Param", "Violation", "Wording", "rule_class", "registered",
           "is_structural", "modelled_by"]
