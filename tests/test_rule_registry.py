"""A rule owns everything about itself: this walks every registered rule and fails when a face or a text is missing.

Adding a rule is its file, one line in ``planner/rules/__init__.py`` and its table in the rule-set TOML. The toy
rule below ("no exam on a Monday", defined here and registered only for the test) shows that nothing else is
needed: the problem compiles with it, the solver obeys it, ``check`` reports it, its two faces agree, the
workbench and the revision notice word it in Chinese, a pinned session is judged against it, and the HiGHS peer
refuses it rather than solve a different problem.
"""
from __future__ import annotations

import ast
import copy
import inspect
import random
import string
import sys

import pytest

from planner import rules as registry
from planner.check import check_plan
from planner.data import constraints_dir
from planner.errors import PlannerError
from planner.plan import Session
from planner.publish.wording import revision_reason
from planner.rules import PREFERENCES, RULES, Param, Preference, Rule, Wording
from planner.api import make_context
from planner.data import load_catalogue
from planner.ruleset import read_toml, ruleset_from_dict
from planner.solver import solve
from planner.web import i18n

from conftest import ROOT, context_from_doc
from test_faces import _mutations, assert_faces_agree


def missing_faces(cls: type[Rule]) -> list[str]:
    """Everything a registered rule must say about itself that *cls* does not."""
    out = []
    if not cls.name or not cls.title:
        out.append("name/title")
    zh = cls.__dict__.get("zh")  # its own words, not a parent's
    if not isinstance(zh, Wording):
        return out + ["zh"]
    for f in ("title", "broken", "revision"):
        if not getattr(zh, f).strip():
            out.append(f"zh.{f}")
    fields = {f for _, f, _, _ in string.Formatter().parse(zh.broken) if f}
    if not fields <= {"date", "site"}:
        out.append(f"zh.broken placeholders {sorted(fields)}")
    if cls.hard and not cls.structural and not zh.relax.strip():
        out.append("zh.relax")  # a conflict can name it: the planner needs to know what to relax
    faces = ("check", "post") if cls.hard else ("cost", "terms")
    base = Rule if cls.hard else Preference
    out += [f for f in faces if getattr(cls, f) is getattr(base, f)]
    for key, spec in cls.PARAMS.items():
        if not isinstance(spec, Param) or not spec.doc:
            out.append(f"PARAMS.{key}")
        elif spec.type in (int, float) and (spec.minimum is None or spec.maximum is None):
            out.append(f"PARAMS.{key} range")
    if not isinstance(cls.structural, bool) or not isinstance(cls.session_local, bool):
        out.append("structural/session_local")
    if not isinstance(cls.peers, frozenset):
        out.append("peers")
    if not (inspect.getmodule(cls).__doc__ or "").strip():
        out.append("module docstring (why the rule exists)")
    return out


@pytest.mark.parametrize("cls", registry.registered(), ids=lambda c: c.name)
def test_every_registered_rule_has_every_face_and_text(cls):
    assert missing_faces(cls) == []
    assert cls.hard == (cls.name in RULES) and cls.hard != (cls.name in PREFERENCES)
    assert registry.rule_class(cls.name) is cls


@pytest.mark.parametrize("cls", registry.registered(), ids=lambda c: c.name)
def test_every_reader_of_a_rule_gets_its_words_from_the_rule(cls, ctx2024, plan2024):
    """The workbench's title, advice and sentence, and the revision notice's reason, are the rule's own."""
    zh = cls.zh
    assert i18n.rule_title(cls.name) == zh.title
    item, = i18n.conflict_items([f"{cls.name}[managers]"], ctx2024.catalogue)
    assert (item["title"], item["relax"]) == (zh.title, zh.relax)
    assert revision_reason(f"{cls.name}: moved") == zh.revision
    s = plan2024.sessions[0]
    # the revision notice's 调整原因 column (revision.docx/.pdf/.xlsx): the rule's own, for the change it forced and
    # for one it forced on another 期次 (it kept a dictionary of its own, which 18 of 20 rules' texts differed from)
    from planner.compare import Change
    from planner.publish.revision import row_reason
    from planner.replan import Reason

    moved = Change(s.stream, s.no, "moved", None, s)
    assert row_reason(moved, Reason(cls.name, f"{cls.name}: moved", True), ctx2024) == zh.revision
    knock = Reason(cls.name, f"knock-on of {s.stream} #{s.no + 1}", False, (s.stream, s.no + 1))
    assert row_reason(moved, knock, ctx2024) == f"第{s.no + 1}期调整后，{zh.revision}"
    sentence = i18n.violation(registry.Violation(cls.name, "x"), s, ctx2024)
    assert sentence and "{" not in sentence and sentence != zh.title


def test_every_registered_rule_has_its_table_in_the_live_configuration():
    doc = read_toml(constraints_dir() / "yuncheng.toml")
    for cls in registry.registered():
        section = "rules" if cls.hard else "preferences"
        assert cls.name in doc.get(section, {}), f"[{section}.{cls.name}] missing from constraints/yuncheng.toml"


def test_the_live_configuration_plans_a_year_that_passes_check():
    """The tests calibrate on their own copy (tests/data/yuncheng_2024.toml); the live file must still work."""
    live = read_toml(constraints_dir() / "yuncheng.toml")
    ctx = context_from_doc(live, year=2025)
    result = solve(ctx, time_limit=60)  # solve() refuses a plan that fails check
    assert result.plan is not None and check_plan(result.plan, ctx).ok


def test_the_compiled_problem_asks_for_no_rule_by_name():
    """problem.py builds the facts each rule contributes; it names no rule (issue 20: it looked up four)."""
    names = {c.name for c in registry.registered()}
    tree = ast.parse((ROOT / "src" / "planner" / "problem.py").read_text(encoding="utf-8"))
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not names & literals


def test_no_module_keeps_its_own_list_of_rules():
    """The lists the rules used to be repeated in are derived from the rules themselves."""
    names = {c.name for c in registry.registered()}
    messages = i18n.table()
    assert "rules" not in messages and "broken" not in messages and not names & set(messages["items"])
    from planner import model, scenario
    from planner.publish import wording

    for mod, name in ((model, "STRUCTURAL"), (scenario, "SESSION_RULES"), (wording, "REVISION_REASONS")):
        assert not hasattr(mod, name), f"{mod.__name__}.{name}"


# -- the toy rule ------------------------------------------------------------------------------


class NoMonday(Rule):
    """No exam on a Monday (the toy of issue 20)."""

    name = "no_monday"
    title = "no exam on a Monday"
    zh = Wording(title="周一不安排考试", broken="{date}是周一", revision="避开周一", relax="取消“周一不考”")
    session_local = True

    def contribute(self, facts, file):
        """A fact of its own for the compiled problem, without touching problem.py: the calendar's Mondays."""
        cal = facts.calendar
        facts.shared[self.name] = frozenset(d for d in cal.days(cal.first_day, cal.last_day) if d.weekday() == 0)

    def allowed_days(self, ctx):
        cal = ctx.calendar
        return set(cal.days(cal.first_day, cal.last_day)) - ctx.shared[self.name]

    def check(self, plan, ctx):
        return [self.violation(f"exam on Monday {s.exam_date}", s) for s in plan.sessions
                if s.exam_date in ctx.shared[self.name]]

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))


@pytest.fixture()
def toy(monkeypatch, default_doc):
    """The toy rule registered (one registry line) and switched on in a copy of the rule set (its TOML table)."""
    monkeypatch.setitem(RULES, NoMonday.name, NoMonday)
    doc = copy.deepcopy(default_doc)
    doc["rules"][NoMonday.name] = {}
    return context_from_doc(doc)


def test_a_toy_rule_needs_its_file_a_registry_line_and_its_table_only(toy, plan2024):
    ctx = toy
    assert missing_faces(NoMonday) == []
    assert ctx.shared[NoMonday.name] and ctx.with_pins([]).shared == ctx.shared  # its fact, kept by the problem
    result = solve(ctx, time_limit=60)
    assert result.plan is not None and not any(s.exam_date.weekday() == 0 for s in result.plan.sessions)
    mondays = [s for s in plan2024.sessions if s.exam_date.weekday() == 0]
    report = check_plan(plan2024, ctx)
    assert mondays and report.per_rule[NoMonday.name] == len(mondays)
    # its two faces agree, as every rule's do, on the published plan and mutations of it
    assert_faces_agree(ctx, [plan2024, result.plan] + _mutations(plan2024, ctx, random.Random(7), 6))
    # the planner's words come from the rule
    assert i18n.rule_title(NoMonday.name) == "周一不安排考试"
    assert i18n.violation(report.violations[0], mondays[0], ctx).endswith("是周一")
    assert revision_reason("no_monday: exam on Monday") == "避开周一"
    # a pinned session is judged against it before solving (it is session-local)
    from planner.scenario import check_pins

    with pytest.raises(PlannerError, match="breaks no_monday"):
        check_pins([mondays[0]], ctx, {})


def test_a_toy_rule_is_refused_by_a_peer_that_does_not_model_it(toy):
    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "benchmarks" / "peers")]
    try:
        from highs_mip import NotModelled, slot_data
    finally:
        del sys.path[:2]
    with pytest.raises(NotModelled, match="no_monday"):
        slot_data(toy)


def test_a_toy_rule_named_in_a_conflict_is_said_in_chinese(toy):
    """A pin on a Monday against the toy rule: the explanation names both, the workbench in Chinese."""
    ctx = toy
    monday = next(d for d in ctx.calendar.days(*ctx.window) if d.weekday() == 0 and ctx.calendar.is_exam_day(d)
                  and (d - ctx.window[0]).days >= 10)
    import datetime as dt

    pinned = Session("managers", 1, monday - dt.timedelta(days=5), monday, "huaan", ctx.streams["managers"].kinds[0])
    result = solve(ctx.with_pins([pinned]), time_limit=60)
    assert not result.status.has_plan
    assert set(result.conflict_keys) >= {"no_monday", "pin[managers#1]"}
    titles = [i["title"] for i in i18n.conflict_items(result.conflict_keys, ctx.catalogue)]
    assert "周一不安排考试" in titles


@pytest.mark.parametrize("cls", [c for c in registry.registered()
                                 if any(p.default is registry.REQUIRED for p in c.PARAMS.values())],
                         ids=lambda c: c.name)
def test_a_fact_left_out_of_a_rule_set_is_refused_naming_its_key(cls):
    """A parameter that is the bureau's fact has no default in code: the rule set that lists the rule states it,
    or is refused naming file and key (a code default would be a 2024 figure, silently applied)."""
    from planner.errors import PlannerError

    doc = read_toml(constraints_dir() / "yuncheng.toml")
    section = "rules" if cls.hard else "preferences"
    for key, spec in cls.PARAMS.items():
        if spec.default is not registry.REQUIRED:
            continue
        bad = copy.deepcopy(doc)
        del bad[section][cls.name][key]
        with pytest.raises(PlannerError) as err:
            ruleset_from_dict(bad, "rules.toml", load_catalogue())
        assert err.value.field == f"{section}.{cls.name}.{key}" and "missing" in err.value.message


def test_monthly_cycle_without_even_spread_is_refused_not_laid_out_by_code_defaults():
    from planner.errors import PlannerError

    doc = read_toml(constraints_dir() / "yuncheng.toml")
    del doc["preferences"]["even_spread"]
    with pytest.raises(PlannerError) as err:
        make_context(2026, ruleset_from_dict(doc, "rules.toml", load_catalogue()))
    assert err.value.field == "preferences.monthly_cycle" and "even_spread" in err.value.message
