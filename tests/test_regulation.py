"""Regulation per plan year (issue 17 item 5): dated regimes, their kinds in 附件3, retakes, the renewal wave."""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from planner.api import make_context
from planner.data import constraints_dir, load_catalogue
from planner.demand import demand_from_dict
from planner.errors import PlannerError
from planner.plan import Plan, Session
from planner.regulation import (as_plan_kinds, load_wave, of_catalogue, pending_items, printed_kind,
                                regulation_from_dict, retake_series)
from planner.textio import read_toml

#: a demand stream's facts as the shipped estimate states them (假设, constraints/demand_basis.csv)
WEEKLY = {"arrival_every_days": 7, "retake_lag_days": 30}

OLD = ("特种作业人员初、复训", "特种作业人员复训")
NEW = ("特种作业人员初训、换证", "特种作业人员换证")


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def ctxs():
    return {y: make_context(y) for y in (2025, 2026, 2027)}


def session(day: dt.date, kind: str, no: int = 1) -> Session:
    return Session("special_ops", no, day - dt.timedelta(days=5), day, "huaan", kind)


# -- kinds --------------------------------------------------------------------------------------------------------
def test_2025_is_order_30_only_with_its_wording_and_nothing_to_confirm(ctxs):
    ctx = ctxs[2025]
    assert ctx.catalogue.streams["special_ops"].kinds == OLD
    assert [g.id for g, _, _ in of_catalogue(ctx.catalogue).spans(ctx.window)] == ["order30"]
    assert pending_items(ctx.catalogue, ctx.window) == []
    assert printed_kind(ctx, session(dt.date(2025, 9, 1), OLD[0])) == OLD[0]


def test_2027_is_the_revised_rules_with_their_kinds_marked_to_confirm(ctxs):
    ctx = ctxs[2027]
    assert ctx.catalogue.streams["special_ops"].kinds == NEW
    assert ctx.streams["special_ops"].kinds == NEW  # the model chooses among them
    items = pending_items(ctx.catalogue, ctx.window)
    assert any("附件3考试类别写法" in i and NEW[0] in i for i in items)
    assert any("补考次数上限" in i and "待核定：5" in i for i in items)
    assert all("待核定" in i for i in items if "2026" not in i)


def confirmed(monkeypatch, cat):
    """The shipped regulation with the revised rules and their 附件3 wording marked 已确认 (what a planner does once
    the regulation's text is read), in place of the shipped one."""
    import dataclasses

    reg = of_catalogue(cat)
    new = reg.regimes[1]
    facts = dict(new.facts, kinds=dataclasses.replace(new.facts["kinds"], status="已确认"))
    regimes = (reg.regimes[0], dataclasses.replace(new, status="已确认", facts=facts))
    monkeypatch.setattr("planner.regulation.of_catalogue", lambda _cat: dataclasses.replace(reg, regimes=regimes))


def test_2026_splits_at_june_1(ctxs, cat, monkeypatch):
    """Sessions before 6月1日 print Order No. 30's wording; from that day on the revised rules' (by position) once
    that wording is confirmed, and Order No. 30's, the last confirmed, while it is 待核定."""
    ctx = ctxs[2026]
    assert ctx.catalogue.streams["special_ops"].kinds == OLD  # the year opens under Order No. 30
    assert printed_kind(ctx, session(dt.date(2026, 5, 29), OLD[0])) == OLD[0]
    assert printed_kind(ctx, session(dt.date(2026, 5, 31), OLD[1])) == OLD[1]
    assert printed_kind(ctx, session(dt.date(2026, 6, 1), OLD[0])) == OLD[0]
    assert printed_kind(ctx, session(dt.date(2027, 1, 20), OLD[1])) == OLD[1]
    confirmed(monkeypatch, cat)
    assert printed_kind(ctx, session(dt.date(2026, 5, 31), OLD[1])) == OLD[1]
    assert printed_kind(ctx, session(dt.date(2026, 6, 1), OLD[0])) == NEW[0]
    assert printed_kind(ctx, session(dt.date(2027, 1, 20), OLD[1])) == NEW[1]
    monkeypatch.undo()
    assert printed_kind(ctx, Session("managers", 1, dt.date(2026, 7, 1), dt.date(2026, 7, 6), "huaan",
                                     "高危行业主要负责人、安管员")) == "高危行业主要负责人、安管员"
    items = pending_items(ctx.catalogue, ctx.window)
    assert any("2026年6月1日" in i and "跨越" in i for i in items)


def test_published_rows_print_the_wording_of_the_day_and_read_back_as_the_plans(ctxs, cat, monkeypatch):
    from planner.publish import tables as T

    ctx = ctxs[2026]
    plan = Plan(2026, (session(dt.date(2026, 5, 29), OLD[0], 1), session(dt.date(2026, 6, 3), OLD[0], 2),
                       session(dt.date(2026, 6, 10), OLD[1], 3)))
    assert [r[3] for r in T.plan_rows(plan.sessions, 2026, ctx)] == [OLD[0], OLD[0], OLD[1]]
    confirmed(monkeypatch, cat)
    rows = T.plan_rows(plan.sessions, 2026, ctx)
    assert [r[3] for r in rows] == [OLD[0], NEW[0], NEW[1]]
    printed = Plan(2026, tuple(Session(s.stream, s.no, s.registration_deadline, s.exam_date, s.institution, r[3])
                               for s, r in zip(plan.sessions, rows)))
    assert as_plan_kinds(printed, cat) == plan
    assert as_plan_kinds(Plan(2026, (session(dt.date(2026, 6, 3), "另一种写法"),)), cat).sessions[0].kind == "另一种写法"
    monkeypatch.undo()


def test_a_pending_wording_is_never_printed_and_the_checklist_says_what_is(ctxs):
    """The revised rules' 附件3 wording is 待核定 (proposed): 2026 from 6月1日 and 2027 (whose plan keeps it)
    print Order No. 30's, the last confirmed, and the planner's checklist says so."""
    from planner.publish import tables as T

    for year, day in ((2026, dt.date(2026, 9, 1)), (2027, dt.date(2027, 2, 20))):
        ctx = ctxs[year]
        kinds = ctx.catalogue.streams["special_ops"].kinds
        rows = T.plan_rows((session(day, kinds[0], 1), session(day + dt.timedelta(days=7), kinds[1], 2)), year, ctx)
        assert [r[3] for r in rows] == list(OLD), year
        item = next(i for i in pending_items(ctx.catalogue, ctx.window) if "附件3考试类别写法" in i)
        assert "附件3对外不印制此写法" in item and f"{OLD[0]} / {OLD[1]}" in item
    span = next(i for i in pending_items(ctxs[2026].catalogue, ctxs[2026].window) if "跨越" in i)
    assert "附件3暂印已确认的写法" in span


def test_a_generated_2027_plan_passes_check_and_opens_with_renewal_only_sessions(solved):
    from planner.check import check_plan

    plan, ctx = solved(2027)
    assert check_plan(plan, ctx).ok
    kinds = [s.kind for s in plan.stream("special_ops")]
    assert set(kinds) <= set(NEW) and kinds[0] == NEW[1]  # refresher_first_cycle maps 复训 to its position


# -- retakes --------------------------------------------------------------------------------------------------------
def tiny(cat, status="实际", **cat_keys):
    """One category, 1000 entering, show 0.5 × pass 0.8, everyone failing retakes: r = 0.6."""
    c = {"first_time": 1000, "show_rate": 0.5, "pass_rate": 0.8, "retake_share": 1.0, **cat_keys}
    return demand_from_dict({"status": status, "streams": {"special_ops": {**WEEKLY, "categories": {"electrical": c}},
                                                           "managers": {**WEEKLY, "categories": {"managers": dict(c)}}},
                             "sites": {"huaan": {"seats_per_day": 100}}}, "tiny.toml", cat)


def test_retakes_follow_the_regime_by_hand(cat):
    """r = 0.6: Order No. 30 (1 retake) 1000 × 0.6 = 600; revised (5) 1000 × (0.6 + 0.36 + 0.216 + 0.1296 +
    0.07776) = 1383; managers (no regime): 1000 × 0.6 / 0.4 = 1500."""
    d = tiny(cat)
    f25 = make_context(2025, demand=d).demand
    f27 = make_context(2027, demand=d).demand
    year = lambda f, s, c: f.streams[s].lines[c]["returning"] + f.streams[s].lines[c]["returning_next_year"]  # noqa: E731
    assert year(f25, "special_ops", "electrical") == 600
    assert year(f27, "special_ops", "electrical") == 1383
    assert year(f25, "managers", "managers") == 1500
    assert year(f27, "managers", "managers") == 1500
    for f in (f25, f27):  # the queue holds those returning within the window (the rest are the next year's)
        ln = f.streams["special_ops"].lines["electrical"]
        assert 0 < ln["returning_next_year"] < ln["returning"]
        assert f.streams["special_ops"].total("electrical") == 1000 + ln["returning"]


def test_a_year_spanning_the_change_weighs_each_limit_by_its_days(cat):
    d = tiny(cat)
    ctx = make_context(2026, demand=d)
    start, stop = ctx.window
    days = [start + dt.timedelta(days=i) for i in range((stop - start).days + 1)]
    w = [1 / ((dt.date(d.year + d.month // 12, d.month % 12 + 1, 1) - dt.date(d.year, d.month, 1)).days)
         for d in days]  # flat profile: a month's weight over its days
    old = sum(x for day, x in zip(days, w) if day < dt.date(2026, 6, 1)) / sum(w)
    want = round(1000 * (old * 0.6 + (1 - old) * retake_series(0.6, 5)))
    assert 600 < want < 1383
    ln = ctx.demand.streams["special_ops"].lines["electrical"]
    assert ln["returning"] + ln["returning_next_year"] == want


# -- the renewal wave ---------------------------------------------------------------------------------------------
def test_the_wave_replaces_order_30_renewals_in_an_estimate_only(cat):
    wave = of_catalogue(cat).wave
    row = wave[(2027, "special_ops", "electrical")]
    assert row.issued_year == 2021 and row.status == "估计" and row.renewals == round(row.issued * row.renewal_share)
    est = make_context(2027, demand=tiny(cat, status="估计", first_time=9604)).demand.streams["special_ops"]
    ln = est.lines["electrical"]
    # the whole 2027 window is under the revised rules: the wave in, Order No. 30's renewals (every 3 years
    # instead of 6: twice the wave) out
    assert (ln["renewal_wave"], ln["renewal_replaced"]) == (row.renewals, 2 * row.renewals)
    entering = 9604 + row.renewals - 2 * row.renewals
    assert ln["returning"] + ln["returning_next_year"] == round(entering * retake_series(0.6, 5))
    assert est.total("electrical") == entering + ln["returning"]
    # never more taken out than the estimate holds
    ln = make_context(2027, demand=tiny(cat, status="估计")).demand.streams["special_ops"].lines["electrical"]
    assert (ln["renewal_wave"], ln["renewal_replaced"]) == (row.renewals, 1000)
    # a bureau's own figures count renewals themselves; so does an estimate with its own renewal line
    for d in (tiny(cat, status="实际"), tiny(cat, status="估计", renewal=10)):
        ln = make_context(2027, demand=d).demand.streams["special_ops"].lines["electrical"]
        assert (ln["renewal_wave"], ln["renewal_replaced"]) == (0, 0)
    # Order No. 30 years have no wave
    ln = make_context(2025, demand=tiny(cat, status="估计")).demand.streams["special_ops"].lines["electrical"]
    assert (ln["renewal_wave"], ln["renewal_replaced"]) == (0, 0)


def test_in_2026_the_wave_enters_from_june_1_only(cat):
    ctx = make_context(2026, demand=tiny(cat, status="估计", retake_share=0.0))
    sf = ctx.demand.streams["special_ops"]
    ln = sf.lines["electrical"]
    assert 0 < ln["renewal_wave"] < of_catalogue(cat).wave[(2026, "special_ops", "electrical")].renewals
    before = sum(a for day, a in zip(sf.ready_days, sf.arrivals["electrical"]) if day < dt.date(2026, 6, 1))
    same = make_context(2026, demand=tiny(cat, status="实际", retake_share=0.0)).demand.streams["special_ops"]
    assert before == sum(a for day, a in zip(same.ready_days, same.arrivals["electrical"])
                         if day < dt.date(2026, 6, 1))
    assert sf.total("electrical") == 1000 + ln["renewal_wave"] - ln["renewal_replaced"]


def test_the_wave_reaches_the_years_of_certificates_issued_under_the_revised_rules(cat):
    """2031 renews certificates of 2025, 2032 those of 2026 (the change's year): each year the revised rules
    govern has its wave, so its estimate is reckoned as 2027's; none falls back to Order No. 30's renewals."""
    from planner.demand import load_demand

    wave = of_catalogue(cat).wave
    for year in range(2026, 2036):
        assert wave[(year, "special_ops", "electrical")].issued_year == year - 6
    demand = load_demand(None, cat)
    lines = {y: make_context(y, demand=demand).demand.streams["special_ops"].lines["electrical"]
             for y in (2027, 2031, 2032)}
    for y in (2031, 2032):
        assert (lines[y]["renewal_wave"], lines[y]["renewal_replaced"]) == (2313, 4626), y
        assert lines[y]["entering"] + lines[y]["renewal_wave"] - lines[y]["renewal_replaced"] == 7291
    items = pending_items(cat, (dt.date(2036, 2, 1), dt.date(2037, 1, 31)))
    assert any("2036年没有到期换证人数的估计" in i and "仍按原规定每3年复审计入" in i for i in items)


def copy_constraints(tmp_path):
    import shutil

    d = tmp_path / "constraints"
    shutil.copytree(constraints_dir(), d)
    return d


def test_a_bureaus_wave_row_replaces_the_estimates_renewals_not_its_own_twice(tmp_path, cat):
    """A bureau's 实际 row gives the real wave; the old renewals taken out of an estimate are those the estimate
    holds (its own wave × 6 / 3 = 4626), not twice the bureau's figure; rebuilding the estimate keeps the row."""
    from planner.demand_estimate import read_basis, wave_text
    from planner.regulation import load_regulation, year_rules

    d = copy_constraints(tmp_path)
    p = d / "renewal_wave.csv"
    text = p.read_text(encoding="utf-8")
    old = next(ln for ln in text.splitlines() if ln.startswith("2027,special_ops,electrical,"))
    own = "2027,special_ops,electrical,2021,3000,0.8,2400,实际,运城市2021年发证登记"
    p.write_text(text.replace(old, own), encoding="utf-8")
    reg = load_regulation(d, cat.streams)
    ctx = make_context(2027)
    rules = type(year_rules(ctx))(reg, 2027, ctx.window)
    days = [ctx.window[0] + dt.timedelta(days=i) for i in range((ctx.window[1] - ctx.window[0]).days + 1)]
    w = rules.wave("special_ops", "electrical", 9604, days, [1.0] * len(days))
    assert (w.added, w.replaced) == (2400, 4626)
    rebuilt = wave_text(read_basis(d / "demand_basis.csv"), reg)
    assert own in rebuilt.splitlines() and rebuilt == p.read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, field", [
    ("2027,special_ops,electrical,2021,4626,0.5,2313,", "2027,special_ops,electrical,2021,4626,0.5,9999,", "renewals"),
    ("2027,special_ops,electrical,2021,", "2027,special_ops,electrical,2025,", "issued_year"),
    ("2027,special_ops,electrical,2021,", "2027,special_ops,electrical,2027,", "issued_year"),
    ("2027,special_ops,electrical,2021,", "2024,special_ops,electrical,2018,", "year"),
])
def test_a_wave_row_that_contradicts_itself_or_the_regulation_is_refused(tmp_path, cat, old, new, field):
    from planner.regulation import load_regulation

    d = copy_constraints(tmp_path)
    p = d / "renewal_wave.csv"
    p.write_text(p.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlannerError) as e:
        load_regulation(d, cat.streams)
    assert e.value.field == field and e.value.row == 12 and str(p) in str(e.value) and "\n" not in str(e.value)


def test_the_shipped_wave_is_its_method_applied_to_its_figures():
    from planner.demand_estimate import default_wave_text

    assert default_wave_text() == (constraints_dir() / "renewal_wave.csv").read_text(encoding="utf-8")


# -- bad input ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def doc():
    return read_toml(constraints_dir() / "regulation.toml")


@pytest.mark.parametrize("path, value, field", [
    (("regime", 1, "max_retakes", "value"), -1, "regime[1].max_retakes.value"),
    (("regime", 1, "max_retakes", "value"), "1", "regime[1].max_retakes.value"),
    (("regime", 2, "kinds", "status"), "确认", "regime[2].kinds.status"),
    (("regime", 2, "kinds", "source"), "", "regime[2].kinds.source"),
    (("regime", 2, "kinds", "value", "special_ops"), ["只有一种"], "regime[2].kinds.value.special_ops"),
    (("regime", 2, "kinds", "value", "nowhere"), ["x", "y"], "regime[2].kinds.value.nowhere"),
    (("regime", 2, "from"), None, "regime[2].from"),
    (("regime", 2, "from"), "2026-06-01", "regime[2].from"),
    (("regime", 2, "streams"), ["nowhere"], "regime[2].streams"),
    (("regime", 1, "renewal_every_years"), 3, "regime[1].renewal_every_years"),
    (("regime", 1, "colour"), "red", "regime[1].colour"),
])
def test_a_bad_fact_is_one_line_naming_file_and_key(doc, cat, path, value, field):
    bad = copy.deepcopy(doc)
    node = bad
    for k in path[:-1]:
        node = node[k] if not isinstance(k, int) else node[k - 1]
    node[path[-1]] = value
    with pytest.raises(PlannerError) as e:
        regulation_from_dict(bad, "regulation.toml", cat.streams)
    assert e.value.field == field and e.value.file == "regulation.toml" and "\n" not in str(e.value)


def test_a_second_id_or_a_wave_with_nothing_to_replace_is_refused(doc, cat):
    bad = copy.deepcopy(doc)
    bad["regime"][1]["id"] = "order30"
    with pytest.raises(PlannerError) as e:
        regulation_from_dict(bad, "regulation.toml", cat.streams)
    assert e.value.field == "regime[2].id"
    for n in (1, 2):  # the first regime has none before it; the second without its period
        bad = copy.deepcopy(doc)
        bad["regime"][n - 1]["renewal_wave"] = True
        if n == 2:
            del bad["regime"][1]["renewal_every_years"]
        with pytest.raises(PlannerError) as e:
            regulation_from_dict(bad, "regulation.toml", cat.streams)
        assert e.value.field == f"regime[{n}].renewal_wave"


def test_regimes_must_follow_each_other(doc, cat):
    bad = copy.deepcopy(doc)
    bad["regime"].append(dict(bad["regime"][1], id="again", **{"from": dt.date(2026, 1, 1)}))
    with pytest.raises(PlannerError) as e:
        regulation_from_dict(bad, "regulation.toml", cat.streams)
    assert e.value.field == "regime[3].from" and "is not after" in str(e.value)


def test_a_bad_wave_row_names_file_row_and_field(tmp_path, cat):
    text = (constraints_dir() / "renewal_wave.csv").read_text(encoding="utf-8")
    for old, new, field in (("2027,special_ops,electrical,2021,", "2027,special_ops,electrical,20x1,", "issued_year"),
                            (",0.5,", ",1.5,", "renewal_share"), ("special_ops,hazchem", "special_ops,managers",
                                                                  "category"), (",估计,", ",猜的,", "status")):
        p = tmp_path / "renewal_wave.csv"
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(PlannerError) as e:
            load_wave(p, cat.streams)
        assert e.value.field == field and e.value.row is not None and str(p) in str(e.value)


def test_the_cli_says_one_line_and_exits_2_on_a_broken_regulation(tmp_path):
    """A copy of the data folder with a broken regulation.toml, run as a separate process."""
    import shutil
    import subprocess
    import sys

    from planner.data import data_root

    root = tmp_path / "root"
    shutil.copytree(data_root() / "constraints", root / "constraints")
    p = root / "constraints" / "regulation.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("max_retakes = { value = 5,", "max_retakes = { value = 99,"),
                 encoding="utf-8")
    code = ("import sys, planner.data as d, pathlib; d.data_root = lambda: pathlib.Path(sys.argv[1]); "
            "from planner.cli import main; sys.exit(main(['demand', 'show', '--year', '2027']))")
    r = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "regulation.toml" in lines[0] and "regime[2].max_retakes.value" in lines[0]
