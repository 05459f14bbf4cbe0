"""What every planning rule is: parameters, a check on a concrete plan, and a CP-SAT face.

A *hard* rule (``Rule``) returns violations for a given plan (``check``) and posts the same
condition into the CP-SAT model (``post``). Both faces read the rule's own parameters and the
facts of the compiled :class:`~planner.problem.Problem` (never another rule), and
``tests/test_faces.py`` proves they agree: a plan pinned into the model is feasible exactly when
``check`` finds nothing. A *soft* rule (``Preference``) has a weight; ``cost`` prices a concrete
plan and ``terms`` gives the solver the same price as named penalty expressions, and the same
harness shows the solver's objective equals the cost recomputed on the plan it returns.

A rule owns everything about itself, so that adding one is its file, a line in
``rules/__init__.py`` and its table in the rule-set TOML: its typed parameters (``PARAMS``), the
facts it contributes to the compiled problem (``contribute``), the words a planner reads about it
(``zh``: title, relaxation advice, the sentence for a broken rule, the reason a session moved),
whether it is the model's own structure or judged session by session, and which peers model it.
``tests/test_rule_registry.py`` walks every registered rule and fails when any of these is missing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from ..model import ModelVars
    from ..plan import Plan
    from ..problem import Facts
    from ..problem import Problem as Context


@dataclass(frozen=True)
class Violation:
    """A broken rule, said so that a planner can act: which session, which rule, why."""

    rule: str
    message: str
    stream: str | None = None
    no: int | None = None
    date: dt.date | None = None
    hard: bool = True
    detail: str | None = None  # the rule instance broken, as the model's enforcement key says it (special_ops:hazchem)
    #: what the workbench says of it, in Chinese, when the rule's ``zh.broken`` cannot (figures of its own: how many
    #: candidates, how long); said by the rule where it finds the violation. Not part of the verdict.
    zh: str = field(default="", compare=False)

    def where(self) -> str:
        if self.stream is None:
            return "-"
        s = self.stream + (f" #{self.no}" if self.no is not None else "")
        return s + (f" ({self.date.isoformat()})" if self.date else "")


class _Required:
    """The default of a parameter that is a fact of the bureau's (a count of days, which streams, which holidays):
    the rule set states it, so that no 2024 figure hides in code as a default."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """A parameter a rule reads from the TOML rule set: its type, default (``REQUIRED``: none, the rule set states
    it), meaning and valid range.

    Numbers outside ``[minimum, maximum]`` (or ``[minimum, maximum)`` when ``open_max``) are refused
    when the rule set is read, naming file, key and range, before any model is built.
    """

    type: type | tuple[type, ...]
    default: Any
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    open_max: bool = False
    #: the type and range of each value of a table parameter (checked with the table, before anything reads it)
    items: "Param | None" = None

    def range_text(self) -> str:
        lo = "" if self.minimum is None else f"{self.minimum}"
        hi = "" if self.maximum is None else f"{self.maximum}"
        return f"[{lo or '-inf'}, {hi or 'inf'}{')' if self.open_max else ']'}"

    def check_number(self, value, file, key: str) -> None:
        """Raise PlannerError when *value* (a number) lies outside the declared range."""
        from ..errors import PlannerError

        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        if value != value or value in (float("inf"), float("-inf")):
            raise PlannerError(f"must be a finite number, got {value}", file=file, field=key)
        low = self.minimum is not None and value < self.minimum
        high = self.maximum is not None and (value >= self.maximum if self.open_max else value > self.maximum)
        if low or high:
            raise PlannerError(f"{value} is out of range {self.range_text()}", file=file, field=key)


#: ranges shared by many rules: days within a plan year, counts of sessions, weights
DAYS = dict(minimum=0, maximum=366)
WEIGHT_MAX = 1_000_000


@dataclass(frozen=True)
class Wording:
    """What a planner reads about a rule, in the notice's Chinese (workbench, revision notice)."""

    title: str  # the rule as a planner names it
    broken: str  # said about one session that breaks it (a preference: that it prices); {date} {site} filled in
    revision: str  # why a session moved, in a revision notice's 调整原因 column
    relax: str = ""  # what to relax when it is part of a conflict ("" only for a structural rule or a preference)

    def fields(self) -> dict[str, str]:
        return {"title": self.title, "broken": self.broken, "revision": self.revision, "relax": self.relax}


class Rule:
    """A hard planning rule. Subclasses set ``name``, ``title``, ``zh``, ``PARAMS`` and implement both faces."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""  # English, for the command line and the explanation of a conflict
    zh: ClassVar[Wording | None] = None
    PARAMS: ClassVar[dict[str, Param]] = {}
    #: structural rules (ordering, kinds) are the model's own shape: never switched off or named in a conflict
    structural: ClassVar[bool] = False
    #: its verdict on a few sessions stands whatever the rest of the plan is (a pinned session is judged
    #: against it before solving); plan-wide rules (counts, rotation, coverage) need the whole plan
    session_local: ClassVar[bool] = False
    #: the peer formulations (``benchmarks/peers``) that model this rule; a rule set with a rule a peer
    #: does not model is refused by that peer rather than solved as a different problem
    peers: ClassVar[frozenset[str]] = frozenset()
    hard: ClassVar[bool] = True

    def __init__(self, **params: Any) -> None:
        for key, spec in self.PARAMS.items():
            if key not in params and spec.default is REQUIRED:
                raise TypeError(f"{self.name}: parameter {key!r} has no default (a fact the rule set states)")
            setattr(self, key, params.get(key, spec.default))

    def params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.PARAMS}

    @property
    def key(self) -> str:
        """The rule's table in the rule-set TOML (``rules.NAME`` or ``preferences.NAME``)."""
        return f"{'rules' if self.hard else 'preferences'}.{self.name}"

    def contribute(self, facts: "Facts", file) -> None:
        """Add the facts this rule states to the problem being compiled (session counts, closures, …).

        Runs before the problem exists; cross-checks against it belong in ``validate``.
        """
        return None

    def check(self, plan: "Plan", ctx: "Context") -> list[Violation]:  # pragma: no cover - abstract
        raise NotImplementedError

    def post(self, mv: "ModelVars", ctx: "Context") -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def applies(self, ctx: "Context") -> bool:
        """Does the rule speak to this problem? (The waiting rules need a demand; without one they are left out
        of checks, models and reports, so a plan without demand is judged exactly as before.)"""
        return True

    def allowed_days(self, ctx: "Context") -> set[dt.date] | None:
        """Days an exam may fall on under this rule, if it is a calendar fact (goes into domains)."""
        return None

    def validate(self, problem: "Context", file, key: str) -> None:
        """Cross-check the parameters against the problem's facts (run once, when it is compiled)."""
        return None

    def hint_gap(self) -> int | None:
        """Days from deadline to exam the search should start from, if this rule prefers some (else None)."""
        return None

    def conflict_detail(self, detail: str, ctx: "Context") -> str:
        """What an instance named in a conflict (``rule[detail]``) amounts to, e.g. ``48 sessions``; "" for nothing."""
        return ""

    @staticmethod
    def require_stream(problem: "Context", stream: str, file, field: str) -> None:
        """A stream a parameter names must have its ``[streams.ID]`` table (else: bad input naming *field*)."""
        if stream not in problem.streams:
            from ..errors import PlannerError

            raise PlannerError(f"stream {stream!r} has no [streams.{stream}] table", file=file, field=field)

    def violation(self, message: str, session=None, **kw: Any) -> Violation:
        if session is not None:
            kw.setdefault("stream", session.stream)
            kw.setdefault("no", session.no)
            kw.setdefault("date", session.exam_date)
        return Violation(self.name, message, hard=self.hard, **kw)


class Preference(Rule):
    """A soft rule: a weighted penalty. ``cost(plan)`` and the solver's ``terms`` price a plan alike."""

    hard: ClassVar[bool] = False

    def __init__(self, weight: int = 1, **params: Any) -> None:
        super().__init__(**params)
        self.weight = weight

    def check(self, plan: "Plan", ctx: "Context") -> list[Violation]:
        return []

    def cost(self, plan: "Plan", ctx: "Context") -> int:  # pragma: no cover - abstract
        """Unweighted penalty of a concrete plan."""
        raise NotImplementedError

    def terms(self, mv: "ModelVars", ctx: "Context") -> list:  # pragma: no cover - abstract
        """Unweighted penalty as CP-SAT linear expressions (summed by the model, times ``weight``)."""
        raise NotImplementedError

    def post(self, mv: "ModelVars", ctx: "Context") -> None:
        mv.add_penalty(self.name, self.weight, self.terms(mv, ctx))
