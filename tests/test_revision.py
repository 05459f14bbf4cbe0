"""Revisions of a published plan (issue 18): only what must change changes, the cost in people, bad input.

Small instances whose least-disturbing revision is worked out by hand; the rotation rule's revision
face proven against its check face (as tests/test_faces.py does for fresh years); a closure at each
of the four rotation sites of the published 2024 plan; the reported candidates affected recomputed
from the two plans and the registrations.
"""
from __future__ import annotations

import copy
import datetime as dt
import random

import pytest

from planner.check import check_plan
from planner.cli import main
from planner.plan import Plan
from planner.replan import DEFAULT_WEIGHTS, people_costs, replan

from conftest import context_from_doc, session, tiny_doc
from scenario_fixtures import TINY_RULES, tiny_plan, tiny_scenario, closure
from test_faces import _mutations, assert_faces_agree

D = dt.date
ROTATION = ["huaan", "juteng", "ruiyang", "xinshiji"]


# -- the rotation rule: a revision face that agrees with its check face -------------------------------

def test_rotation_faces_agree_in_a_revision(ctx2024, plan2024):
    """Published: the whole plan (rotation binds nothing) and the plan up to 期次 40 (binds 41–48)."""
    head = plan2024.with_sessions([s for s in plan2024.sessions if s.stream != "special_ops" or s.no <= 40])
    broken = 0
    for published in (plan2024, head):
        ctx = ctx2024.revising(published)
        plans = [plan2024] + _mutations(plan2024, ctx, random.Random(len(published.sessions)), 10)
        assert_faces_agree(ctx, plans)
        broken += sum(check_plan(p, ctx).per_rule["rotation"] for p in plans)
        fresh = sum(check_plan(p, ctx2024).per_rule["rotation"] for p in plans)
        assert fresh > 0  # the mutations do break the fresh year's rotation
    assert broken > 0  # ... and the revision's, where 期次 41–48 were not published


def _tiny_ctx(special_ops=4, spacing=None, closures=(), published=None):
    rules = {"working_day": {}, "registration_gap": {"min_days": 4, "max_days": 14}, "daily_cap": {},
             "scope": {}, "rotation": {}, "institution_open": {"closures": [
                 {"institution": i, "start": a, "end": b, "reason": "test"} for i, a, b in closures]}}
    if spacing:
        rules["stream_spacing"] = {"min_days": {"special_ops": spacing}}
    doc = tiny_doc(managers=0, special_ops=special_ops, rules=rules)
    ctx = context_from_doc(doc)
    return ctx.revising(published) if published is not None else ctx


def _may_plan() -> Plan:
    """期次 1–4 on the Wednesdays of May 2024, in rotation order, deadline 5 days before."""
    days = [D(2024, 5, 8), D(2024, 5, 15), D(2024, 5, 22), D(2024, 5, 29)]
    return Plan(2024, tuple(session("special_ops", k + 1, d - dt.timedelta(days=5), d, ROTATION[k])
                            for k, d in enumerate(days)), "may")


def test_closed_site_session_moves_to_another_site_same_day():
    # 新世纪 closed 27–31 May: 期次4 (Wed 29 May) goes to another open site that day; nothing else moves.
    plan = _may_plan()
    ctx = _tiny_ctx(closures=[("xinshiji", "2024-05-27", "2024-05-31")])
    rp = replan(plan, ctx, D(2024, 5, 1))
    assert rp.result.tiers == {"sessions_changed": 1, "days_moved": 0}
    new = rp.result.plan.by_key()
    assert new[("special_ops", 4)].exam_date == D(2024, 5, 29)
    assert new[("special_ops", 4)].institution in ("huaan", "juteng", "ruiyang")
    assert [c.no for c in rp.changes] == [4] and rp.reasons[("special_ops", 4)].rule == "institution_open"


def test_spacing_forces_a_date_and_registrations_change_the_answer():
    # Same closure, and two sessions of one stream at one site ≥ 22 days apart. By hand: at 华安 the earliest
    # day is 30 May (22 days after 8 May: a site change and 1 day), at 聚腾 6 June, at 瑞阳 13 June; 新世纪 itself
    # is open on Fri 24 May (5 days earlier, after 期次3 on the 22nd) and from Mon 3 June (5 days later).
    # Without candidate counts: one change either way, then fewest days -> 华安 on 30 May. With 10 candidates
    # registered for 期次4 (exam within 30 days of the re-plan: days count double): 华安 costs
    # 10 × (30 + 2×1) = 320 points, 新世纪 on 24 May or 3 June 10 × 2×5 = 100 (the preferences pick one).
    plan = _may_plan()
    ctx = _tiny_ctx(spacing=22, closures=[("xinshiji", "2024-05-27", "2024-05-31")])
    rp = replan(plan, ctx, D(2024, 5, 1))
    s4 = rp.result.plan.by_key()[("special_ops", 4)]
    assert (s4.exam_date, s4.institution) == (D(2024, 5, 30), "huaan")
    assert rp.result.tiers == {"sessions_changed": 1, "days_moved": 1}
    people = {("special_ops", k): 10 for k in range(1, 5)}
    rp = replan(plan, ctx, D(2024, 5, 1), people=people)
    s4 = rp.result.plan.by_key()[("special_ops", 4)]
    assert s4.institution == "xinshiji" and s4.exam_date in (D(2024, 5, 24), D(2024, 6, 3))
    assert rp.result.tiers == {"disturbance": 100, "sessions_changed": 1, "days_moved": 5}
    assert (rp.candidates_affected, rp.disturbance) == (10, 100)


def test_unpublished_remainder_rotates_afresh():
    # Published 期次 1–4 (华安 聚腾 瑞阳 新世纪); the count is raised to 6: 期次 5 and 6 were never published and
    # follow the order from 期次4 (华安, then 聚腾); 1–4 stay as they were.
    plan = _may_plan()
    ctx = _tiny_ctx(special_ops=6)
    rp = replan(plan, ctx.revising(plan), D(2024, 5, 1))
    new = rp.result.plan.by_key()
    assert all(new[s.key] == s for s in plan.sessions)
    assert [new[("special_ops", k)].institution for k in (5, 6)] == ["huaan", "juteng"]


def test_a_published_session_out_of_order_is_left_alone():
    # The published plan itself is out of rotation order (聚腾 and 瑞阳 swapped): a revision with no new fact
    # changes nothing; a fresh year under the same rules would call it broken.
    plan = _may_plan()
    swapped = plan.with_sessions([session("special_ops", s.no, s.registration_deadline, s.exam_date,
                                          {"juteng": "ruiyang", "ruiyang": "juteng"}.get(s.institution, s.institution))
                                  for s in plan.sessions])
    ctx = _tiny_ctx()
    assert check_plan(swapped, ctx).per_rule["rotation"] > 0
    assert check_plan(swapped, ctx.revising(swapped)).ok
    rp = replan(swapped, ctx, D(2024, 5, 1))
    assert rp.changes == []


# -- the published 2024 plan: a closure at each rotation site in turn ---------------------------------------

@pytest.mark.parametrize("site", ROTATION)
def test_closure_at_one_site_changes_only_its_sessions(site, default_doc, plan2024):
    doc = copy.deepcopy(default_doc)
    doc["rules"]["institution_open"]["closures"] = [
        {"institution": site, "start": "2024-07-15", "end": "2024-08-31", "reason": "整改"}]
    ctx = context_from_doc(doc)
    rp = replan(plan2024, ctx, D(2024, 7, 1), time_limit=20)
    assert rp.result.plan is not None and rp.changes
    hit = {s.key for s in plan2024.sessions if s.institution == site and D(2024, 7, 15) <= s.exam_date <= D(2024, 8, 31)}
    for c in rp.changes:
        r = rp.reasons[(c.stream, c.no)]
        if (c.stream, c.no) in hit:
            assert r.own and r.rule == "institution_open"
        else:  # another site's session: only when a named rule forces it, caused by a named change
            assert r.rule and not r.own and r.cause in hit | {(d.stream, d.no) for d in rp.changes}, (c, r)
    others = [c for c in rp.changes if (c.stream, c.no) not in hit]
    # measured: 瑞阳 and 新世纪 change only their own sessions (same day, another site); 华安's managers #6 moves
    # a month and pushes #7 (stream_spacing); 聚腾 is the only site for 电力电缆作业, so #30 comes 4 days earlier
    # (coverage). Either way the knock-ons are fewer than the forced changes.
    assert len(others) <= len(hit) - 1
    if site in ("ruiyang", "xinshiji"):
        assert others == []


# -- the cost in people: reported == recomputed ---------------------------------------------------------------

def _recompute(old: Plan, new: Plan, people, from_date):
    """Candidates and points from the two plans alone, written out independently of planner.replan."""
    nb = new.by_key()
    cands = points = 0
    for s in old.sessions:
        n = nb.get(s.key)
        if n is not None and (n.exam_date, n.institution) == (s.exam_date, s.institution):
            continue
        k = people.get(s.key, 0)
        cands += k
        if n is None:
            points += k * 30
            continue
        factor = 2 if (s.exam_date - from_date).days < 30 else 1
        points += k * (30 * (n.institution != s.institution) + factor * abs((n.exam_date - s.exam_date).days))
    return cands, points


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reported_candidates_equal_the_recomputed_sum(seed):
    rng = random.Random(seed)
    plan = _may_plan()
    ctx = _tiny_ctx(spacing=rng.choice([11, 15, 22]),  # two of the sites of 期次 2–4 closed for the rest of May
                    closures=[(site, "2024-05-13", "2024-05-31") for site in rng.sample(ROTATION[1:], 2)])
    people = {s.key: rng.randint(0, 40) for s in plan.sessions}
    rp = replan(plan, ctx, D(2024, 5, 1), people=people)
    assert rp.result.plan is not None and rp.changes
    want = _recompute(plan, rp.result.plan, people, D(2024, 5, 1))
    assert (rp.candidates_affected, rp.disturbance) == want
    assert rp.result.tiers["disturbance"] == want[1]
    assert people_costs(plan, rp.result.plan, people, D(2024, 5, 1), DEFAULT_WEIGHTS, ctx=rp.ctx) == rp.people


# -- the command line: the revision set, and bad input ----------------------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The tiny plan published into a set (plan.json beside notice.xlsx)."""
    folder = tmp_path_factory.mktemp("published")
    _, path = tiny_plan(folder)
    base = tiny_scenario(folder)
    assert main(["publish", str(path), "--scenario", str(base), "--out", str(folder / "pub"), "--no-charts",
                 "--no-pdf"]) == 0
    return folder


def _docx_text(path) -> str:
    import docx

    d = docx.Document(str(path))
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def test_revision_set_cites_the_original_and_says_why(published, tmp_path, capsys):
    body = closure("huaan", "2024-05-13", "2024-05-16").replace('reason = "test"', 'reason = "消防设施整改"')
    sc = tiny_scenario(published, "closed.toml", body=body)
    reg = tmp_path / "reg.csv"
    reg.write_text("stream,no,报名人数\nmanagers,2,37\nmanagers,3,12\n", encoding="utf-8")
    out = tmp_path / "rev"
    code = main(["replan", str(published / "pub" / "notice.xlsx"), "--from", "2024-04-01", "--scenario", str(sc),
                 "--registrations", str(reg), "--out", str(out), "--no-publish"])
    assert code == 0
    # 期次2 (37 registered) moves 2 days; its exam is 44 days after the re-plan's first day: 37 × 2 points
    assert "37 registered candidate(s) affected (74 points)" in capsys.readouterr().out
    # re-planned from 20 April its exam is 25 days away, near: the days count double, 37 × 2 × 2
    code = main(["replan", str(published / "pub" / "notice.xlsx"), "--from", "2024-04-20", "--scenario", str(sc),
                 "--registrations", str(reg), "--out", str(out)])
    assert code == 0
    rows = (out / "changes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].endswith("candidates,points,rule,reason") and ",37,148,institution_open," in rows[1]
    text = _docx_text(out / "revision.docx")
    assert "《运城市应急管理局关于印发2024年全市安全生产培训考试计划的通知》（运应急发〔2024〕  号）" in text
    assert "因华安考点消防设施整改，自5月13日起暂停考试" in text and "工作需要" not in text
    assert "已报名调整期次的考生" in text and "顺延" not in text
    assert "第2期" in text and "第3期" not in text and "第1期" not in text  # only the changed 期次
    assert "5月10日前" in text and "5月15日" in text and "5月17日" in text  # old deadline, old and new exam date
    notice = _docx_text(out / "notice.docx")  # the re-issued notice says it is revised, and which 期次
    assert "本计划已调整，调整的期次为主要负责人和安管员第2期" in notice
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "（调整后）</h1>" in report and "本次调整（1个期次" in report


def _bad(args, capsys, out):
    code = main(args + ["--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert not out.exists()
    return err


def test_revision_of_a_plan_never_published_is_bad_input(tmp_path, capsys):
    _, path = tiny_plan(tmp_path)
    sc = tiny_scenario(tmp_path, body=closure("huaan", "2024-05-13", "2024-05-16"))
    err = _bad(["replan", str(path), "--from", "2024-04-01", "--scenario", str(sc)], capsys, tmp_path / "o")
    assert "never published" in err and "tiny_plan.csv" in err


def test_a_plan_that_differs_from_its_published_set_is_bad_input(published, tmp_path, capsys):
    import shutil

    (tmp_path / "pub").mkdir()
    shutil.copy(published / "pub" / "plan.json", tmp_path / "pub" / "plan.json")
    edited = (published / "tiny_plan.csv").read_text(encoding="utf-8").replace("2024-09-11", "2024-09-12")
    (tmp_path / "pub" / "plan.csv").write_text(edited, encoding="utf-8")
    sc = tiny_scenario(tmp_path)
    err = _bad(["replan", str(tmp_path / "pub" / "plan.csv"), "--from", "2024-04-01", "--scenario", str(sc)],
               capsys, tmp_path / "o")
    assert "never published as it is" in err and "managers #3" in err


def test_a_scenario_for_another_year_is_bad_input(published, tmp_path, capsys):
    sc = tiny_scenario(tmp_path, body="").with_name("tiny_base.toml")
    sc.write_text(sc.read_text(encoding="utf-8").replace("year = 2024", "year = 2025"), encoding="utf-8")
    err = _bad(["replan", str(published / "pub" / "notice.xlsx"), "--from", "2024-04-01", "--scenario", str(sc)],
               capsys, tmp_path / "o")
    assert "field 'year'" in err and "2025" in err


@pytest.mark.parametrize("reason", ["消防设施整改\n另行通知", "因" * 41])
def test_a_reason_longer_than_a_line_is_bad_input(published, tmp_path, capsys, reason):
    sc = tiny_scenario(tmp_path, body=closure("huaan", "2024-05-13", "2024-05-16"))
    err = _bad(["replan", str(published / "pub" / "notice.xlsx"), "--from", "2024-04-01", "--scenario", str(sc),
                "--reason", reason], capsys, tmp_path / "o")
    assert "field 'reason'" in err


# -- calendars: one state per UID across the set ---------------------------------------------------------------

def _ics_states(folder) -> dict[str, set]:
    from icalendar import Calendar

    states: dict[str, set] = {}
    files = [folder / "plan.ics", *sorted((folder / "ics").glob("*.ics"))]
    for f in files:
        cal = Calendar.from_ical(f.read_bytes())
        assert str(cal["METHOD"]) == "PUBLISH", f
        for e in cal.walk("VEVENT"):
            states.setdefault(str(e["UID"]), set()).add((str(e["STATUS"]), int(e["SEQUENCE"])))
    return states


def test_calendars_of_a_revision_agree_across_files(tmp_path, capsys):
    from planner.data import scenarios_dir

    pub = tmp_path / "pub"
    assert main(["publish", str(scenarios_dir() / "plan_2024.csv"), "--out", str(pub), "--no-charts",
                 "--no-pdf"]) == 0
    rev = tmp_path / "rev"
    assert main(["replan", str(pub / "notice.xlsx"), "--from", "2024-06-17", "--scenario",
                 str(scenarios_dir() / "midyear_replan.toml"), "--out", str(rev)]) == 0
    moved = [r.split(",") for r in (rev / "changes.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert moved and all(r[6] == "xinshiji" for r in moved)  # only 新世纪's sessions change
    states = _ics_states(rev)
    assert all(len(v) == 1 for v in states.values()), {k: v for k, v in states.items() if len(v) > 1}
    for r in moved:
        exam = f"2024-{r[1]}-{r[2]}-exam@planner.yuncheng-exams"
        assert states[exam] == {("CONFIRMED", 1)}  # kept its UID, one revision up, confirmed everywhere
        for site in ("xinshiji", r[7]):  # in the old site's file (with its new content) and the new site's
            assert exam.encode() in (rev / "ics" / f"{site}.ics").read_bytes()
    before = _ics_states(pub)
    assert all(states[u] == s for u, s in before.items() if not any(f"-{r[1]}-{r[2]}-" in u for r in moved))


def test_a_refused_knock_on_is_kept_and_the_rest_solved_around_it(default_doc, plan2024):
    """The workbench's "refuse this change": 华安 closed mid-summer pushes managers #7 (stream_spacing). By hand:
    #6 (2 Aug) must leave 15 Jul – 31 Aug and stay 14 days from #5 (4 Jul) and #7 (11 Sep): 18 Jul … 28 Aug,
    all closed. So refusing #7's change is infeasible, and the explanation names the refusal (a pin);
    refusing the forced change itself is bad input."""
    from planner.errors import PlannerError

    doc = copy.deepcopy(default_doc)
    doc["rules"]["institution_open"]["closures"] = [
        {"institution": "huaan", "start": "2024-07-15", "end": "2024-08-31", "reason": "整改"}]
    ctx = context_from_doc(doc)
    first = replan(plan2024, ctx, D(2024, 7, 1), time_limit=20)
    assert ("managers", 7) in {(c.stream, c.no) for c in first.changes}
    again = replan(plan2024, ctx, D(2024, 7, 1), refuse=[("managers", 7)], time_limit=20)
    assert again.result.plan is None and "pin[managers#7]" in again.result.conflict_keys
    with pytest.raises(PlannerError, match="managers #6"):
        replan(plan2024, ctx, D(2024, 7, 1), refuse=[("managers", 6)])


def test_a_refused_knock_on_with_an_alternative_moves_another(default_doc, plan2024):
    # 聚腾 closed mid-summer: 期次30 comes 4 days earlier (coverage of 电力电缆作业, which only 聚腾 offers).
    # Refused, #30 stays as published and another session takes the coverage duty, its reason named.
    doc = copy.deepcopy(default_doc)
    doc["rules"]["institution_open"]["closures"] = [
        {"institution": "juteng", "start": "2024-07-15", "end": "2024-08-31", "reason": "整改"}]
    ctx = context_from_doc(doc)
    rp = replan(plan2024, ctx, D(2024, 7, 1), refuse=[("special_ops", 30)], time_limit=20)
    new = rp.result.plan.by_key()
    assert new[("special_ops", 30)] == plan2024.by_key()[("special_ops", 30)]
    others = [c for c in rp.changes if c.old.institution != "juteng" or c.old.exam_date < D(2024, 7, 15)]
    assert others and all(rp.reasons[(c.stream, c.no)].rule == "coverage" for c in others)
    assert check_plan(rp.result.plan, rp.ctx).ok


def test_the_original_is_cited_as_its_set_recorded_it(published, tmp_path, capsys):
    import json
    import shutil

    shutil.copytree(published / "pub", tmp_path / "pub")
    meta = tmp_path / "pub" / "plan.json"
    doc = json.loads(meta.read_text(encoding="utf-8"))
    assert doc["notice"] == {"title": "运城市应急管理局关于印发2024年全市安全生产培训考试计划的通知", "doc_no": None}
    doc["notice"] = {"title": "关于印发2024年考试计划的通知", "doc_no": "运应急发〔2024〕7号"}
    meta.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    sc = tiny_scenario(tmp_path, body=closure("huaan", "2024-05-13", "2024-05-16"))
    out = tmp_path / "rev"
    args = ["replan", str(tmp_path / "pub" / "notice.xlsx"), "--from", "2024-04-01", "--scenario", str(sc)]
    assert main(args + ["--out", str(out), "--reason", "华安考点临时停电检修"]) == 0
    text = _docx_text(out / "revision.docx")
    assert "因华安考点临时停电检修，现对《关于印发2024年考试计划的通知》（运应急发〔2024〕7号）中1个期次" in text
    capsys.readouterr()  # the publish's own warning line (发布前核对.txt) belongs to the run above
    # refusing the forced change keeps a session at a closed site: one line, exit 2, nothing written
    err = _bad(args + ["--keep", "managers#2"], capsys, tmp_path / "o")
    assert "managers #2" in err and "institution_open" in err


# -- --demand without --registrations: the expected candidates of each published session ---------------------

#: the tiny rule set with four special-ops sessions in rotation, 11 days apart at least
MAY_RULES = TINY_RULES.replace("managers = 3", "special_ops = 4") + (
    "[rules.rotation]\nstreams = [\"special_ops\"]\n[rules.stream_spacing.min_days]\nspecial_ops = 11\n")


@pytest.fixture(scope="module")
def published_may(tmp_path_factory):
    """The four May sessions published with the shipped demand: plan.json carries each one's expected candidates."""
    from planner.data import constraints_dir
    from planner.plan import write_plan

    folder = tmp_path_factory.mktemp("may")
    (folder / "may.toml").write_text(MAY_RULES, encoding="utf-8")
    write_plan(_may_plan(), folder / "may.csv")
    demand = constraints_dir() / "demand.toml"
    assert main(["publish", str(folder / "may.csv"), "--rules", str(folder / "may.toml"), "--year", "2024",
                 "--demand", str(demand), "--out", str(folder / "pub"), "--no-charts", "--no-pdf"]) == 0
    return folder, demand


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_replan_with_demand_counts_the_expected_candidates_of_each_published_session(published_may, seed, capsys):
    """`replan --demand` without registrations: the reported candidates affected (changes.csv, stdout) equal the
    sum recomputed from the published set's plan.json (its sessions and their expected_candidates) and the new
    plan, on random closures; registrations, when given, win over the demand."""
    import csv
    import json

    from planner.data import load_catalogue
    from planner.planio import read_plan

    cat = load_catalogue()
    folder, demand = published_may
    rng = random.Random(seed)
    sites = rng.sample(ROTATION[1:], rng.choice([1, 2]))
    body = "".join(closure(s, "2024-05-13", "2024-05-31") for s in sites)
    sc = folder / f"close{seed}.toml"
    sc.write_text(f'rules = "may.toml"\nyear = 2024\n{body}', encoding="utf-8")
    out = folder / f"out{seed}"
    assert main(["replan", str(folder / "pub" / "notice.xlsx"), "--from", "2024-05-01", "--scenario", str(sc),
                 "--demand", str(demand), "--out", str(out), "--time-limit", "5"]) == 0
    said = capsys.readouterr().out
    doc = json.loads((folder / "pub" / "plan.json").read_text(encoding="utf-8"))
    people = {(s["stream"], int(s["no"])): s["expected_candidates"] for s in doc["sessions"]}
    assert sum(people.values()) > 0
    old = Plan(2024, tuple(session(s["stream"], int(s["no"]), D.fromisoformat(s["registration_deadline"]),
                                   D.fromisoformat(s["exam_date"]), s["institution"]) for s in doc["sessions"]), "p")
    new = read_plan(out / "plan.csv", cat, year=2024)
    want = _recompute(old, new, people, D(2024, 5, 1))
    rows = list(csv.DictReader(open(out / "changes.csv", encoding="utf-8-sig")))
    assert rows and all(r["candidates"] != "" for r in rows)
    assert (sum(int(r["candidates"]) for r in rows), sum(int(r["points"]) for r in rows)) == want
    assert want[0] > 0 and f"; {want[0]} expected candidate(s) affected ({want[1]} points)" in said
    # registrations win: one registered candidate per session, and the figures are theirs
    regs = folder / f"regs{seed}.csv"
    regs.write_text("stream,no,报名人数\n" + "".join(f"special_ops,{k},1\n" for k in range(1, 5)), encoding="utf-8")
    assert main(["replan", str(folder / "pub" / "notice.xlsx"), "--from", "2024-05-01", "--scenario", str(sc),
                 "--demand", str(demand), "--registrations", str(regs), "--out", str(out), "--time-limit", "5"]) == 0
    rows = list(csv.DictReader(open(out / "changes.csv", encoding="utf-8-sig")))
    moved = _recompute(old, read_plan(out / "plan.csv", cat, year=2024), {k: 1 for k in people}, D(2024, 5, 1))
    assert sum(int(r["candidates"]) for r in rows) == moved[0] and "registered candidate(s) affected" in \
        capsys.readouterr().out


def test_replan_with_a_bad_demand_file_is_one_line_exit_2_and_writes_nothing(published_may, capsys, tmp_path):
    folder, _ = published_may
    bad = tmp_path / "demand.toml"
    bad.write_text('status = "估计"\n[streams.special_ops.categories.x]\nfirst_time = -5\n', encoding="utf-8")
    sc = folder / "close_bad.toml"
    sc.write_text(f'rules = "may.toml"\nyear = 2024\n{closure("juteng", "2024-05-13", "2024-05-31")}', encoding="utf-8")
    for demand in (bad, tmp_path / "missing.toml"):
        code = main(["replan", str(folder / "pub" / "notice.xlsx"), "--from", "2024-05-01", "--scenario", str(sc),
                     "--demand", str(demand), "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and demand.name in err
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("reason, said", [
    ("瑞阳考点8至9月停业整顿", "8至9月停业整顿"),
    ("瑞阳8至9月停业整顿", "8至9月停业整顿"),
    ("运城市瑞阳安全技术培训有限公司：场地改造", "场地改造"),
    ("场地改造", "场地改造"),
    ("瑞阳考点", ""),  # the site alone says no more than the notice does
])
def test_a_closure_reason_does_not_name_the_site_twice(ctx2024, reason, said):
    """The notice writes "瑞阳考点{reason}，自…起暂停考试": a reason that starts with the site loses it there."""
    from planner.publish.revision import _without_site

    assert _without_site(reason, ctx2024, "ruiyang") == said


def test_the_default_reason_always_fits_the_form():
    """notice_reason's default is offered on the 调整 page, whose field takes MAX_REASON_CHARS: several closures (or one
    long one) are cut to what fits, with 等, never past the limit."""
    from planner.publish.revision import MAX_REASON_CHARS, _within_limit

    one = "华安考点场地整改，自7月15日起暂停考试"
    assert _within_limit([one]) == one
    assert _within_limit([one, "国家法定节假日安排调整"]) == one + "、国家法定节假日安排调整"  # 32: fits
    assert _within_limit([one, "瑞阳考点消防设施整改，自8月1日起暂停考试", "考试期次数量调整"]) == one + "等"
    long_why = "华安考点" + "因上级要求开展全面安全隐患排查整治及场地与设备改造" + "，自7月15日起暂停考试"
    assert len(long_why) > MAX_REASON_CHARS and _within_limit([long_why]) == "华安考点自7月15日起暂停考试"
    assert _within_limit([]) == ""


def test_a_single_hand_edit_is_not_said_to_move_with_others(ctx2024, plan2024):
    """修改一场 then 发布: the only change, which no rule forces, was worded "随其他期次一并调整" (moved together with
    other sessions) in the 调整通知; it is the planner's own change, worded by what changed alone."""
    import dataclasses

    from planner.publish.revision import revision_rows
    from planner.replan import reasons

    key = ("special_ops", 24)
    new = plan2024.with_sessions([dataclasses.replace(s, exam_date=s.exam_date + dt.timedelta(days=1))
                                  if s.key == key else s for s in plan2024.sessions])
    assert check_plan(new, ctx2024).ok
    why = reasons(plan2024, new, ctx2024)
    assert why[key].own and why[key].rule == ""
    rows = revision_rows(plan2024, new, ctx2024, why)
    assert [r[-1] for r in rows] == ["考试时间调整"]


def test_check_judges_a_revision_from_its_first_day(tmp_path, plan2024, catalogue, capsys):
    """``check --revision-of`` used to check a re-plan without its first day, so plan_window's "nothing that changes
    may be dated before it" was never checked from outside. A revision whose changed deadline is before the day:
    refused with --from, and with the replan_from of a summary.json beside it (what planner replan writes)."""
    import dataclasses
    import json

    from planner.plan import write_plan

    s = plan2024.by_key()[("special_ops", 2)]  # exam in February: before the re-plan's first day
    moved = dataclasses.replace(s, registration_deadline=s.registration_deadline + dt.timedelta(days=1))
    new = plan2024.with_sessions([x for x in plan2024.sessions if x.key != s.key] + [moved])
    write_plan(plan2024, tmp_path / "revision_of.csv")
    write_plan(new, tmp_path / "plan.csv")
    plan = str(tmp_path / "plan.csv")
    assert main(["check", plan, "--year", "2024"]) == 0  # as a revision without its day: every rule holds
    assert main(["check", plan, "--year", "2024", "--from", "2024-07-01"]) == 1
    assert "plan_window" in capsys.readouterr().out
    (tmp_path / "summary.json").write_text(json.dumps({"replan_from": "2024-07-01"}), encoding="utf-8")
    assert main(["check", plan, "--year", "2024"]) == 1
    assert main(["check", plan, "--year", "2024", "--from", "2024-02-01"]) == 0  # a day before it: nothing past
