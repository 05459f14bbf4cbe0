"""Write the notebooks of this folder from the cells below (run after editing; commit without outputs).

    python notebooks/make_notebooks.py

Notebooks are generated so that their text lives in reviewable Python, and stay output-free in git.
tests/test_notebooks.py executes them so they cannot rot.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import tempfile
from pathlib import Path

import pandas as pd

from planner import check_plan, load_catalogue, make_context, read_plan, solve
from planner.data import scenarios_dir

out = Path(tempfile.mkdtemp(prefix="planner-nb-"))  # outputs go to a temporary folder, never into the repository
SCENARIOS = scenarios_dir()
print("outputs in", out)"""

NOTEBOOKS = {
    "01_reproduce_2024.ipynb": [
        "# 1. Reproduce the 2024 plan\n\n"
        "The 2024 notice (运城市应急管理局) published 59 exam sessions: 11 for managers (附件2) and 48 for special "
        "operations (附件3). This notebook checks that the rule set admits that plan, then lets the solver plan "
        "2024 from the rules alone and compares the two.\n\nSet-up: `pip install -e \".[test]\"` (see the README).",
        SETUP,
        "## The published plan under the rules",
        """ctx = make_context(2024)
published = read_plan(SCENARIOS / "plan_2024.csv", ctx.catalogue)
report = check_plan(published, ctx)
print(f"{len(published.sessions)} sessions, calendar {ctx.calendar.status()}, window {ctx.window[0]} … {ctx.window[1]}")
print("hard-rule violations:", len([v for v in report.violations if v.hard]))
pd.DataFrame([{"preference": k, "weight": w, "cost": c} for k, (w, c) in report.costs.items()])""",
        "## Plan 2024 blind (the `reproduce_2024.toml` scenario) and compare",
        """from planner.scenario import load_scenario

scenario = load_scenario(SCENARIOS / "reproduce_2024.toml")
print(scenario.question)
result = solve(scenario.ctx, seed=0, time_limit=30)
print(result.summary().splitlines()[0], "-", len(result.plan.sessions), "sessions")""",
        """from planner.compare import diff_plans, kpi_rows, KPI_HEADER, summary_line

changes = diff_plans(published, result.plan)
print(summary_line(published, result.plan, changes))
pd.DataFrame([{"session": c.label(), "published": c.old.exam_date, "generated": c.new.exam_date, "days": c.days,
               "site": c.old.institution if not c.site_changed else f"{c.old.institution} → {c.new.institution}"}
              for c in changes if c.old and c.new]).head(15)""",
        """pd.DataFrame(kpi_rows(published, result.plan), columns=KPI_HEADER)  # A = published, B = generated""",
    ],
    "02_plan_next_year.ipynb": [
        "# 2. Plan next year\n\n"
        "The baseline scenario plans the year after today with the 2024 rules. Next year's State Council holiday "
        "arrangement is usually published in November, so the calendar may still be *provisional*.",
        SETUP,
        """from planner.scenario import load_scenario

baseline = load_scenario(SCENARIOS / "baseline_next_year.toml")
ctx = baseline.ctx
print(baseline.question)
print("year", ctx.year, "| calendar", ctx.calendar.status(), "| window", ctx.window[0], "…", ctx.window[1])""",
        """result = solve(ctx, seed=0, time_limit=30)
print(result.summary())""",
        """plan = result.plan
df = pd.DataFrame([{"stream": s.stream, "期次": s.no, "报名截止": s.registration_deadline, "考试时间": s.exam_date,
                    "考试地点": ctx.catalogue.institutions[s.institution].short_name, "考试类别": s.kind}
                   for s in plan.sessions])
df.head(12)""",
        "Sessions per month and site (the rotation 华安 → 聚腾 → 瑞阳 → 新世纪 shares the special-ops sessions):",
        """df["month"] = pd.to_datetime(df["考试时间"]).dt.strftime("%Y-%m")
df.pivot_table(index="month", columns="考试地点", values="期次", aggfunc="count", fill_value=0)""",
        """from planner.plan import write_plan

assert check_plan(plan, ctx).ok
write_plan(plan, out / "plan.csv")
print("wrote", out / "plan.csv")""",
    ],
    "03_what_if_tour.ipynb": [
        "# 3. A what-if tour\n\n"
        "Scenario files (`scenarios/*.toml`, see `scenarios/README.md`) each answer one question. A sweep runs "
        "several in parallel and measures each against the baseline plan; a re-plan changes a published plan as "
        "little as possible from a date on.",
        SETUP,
        """from planner.scenario import load_scenario

names = ["baseline_next_year", "site_closed_quarter", "site_eliminated_july", "special_ops_plus25"]
for n in names:
    print(f"{n}: {load_scenario(SCENARIOS / f'{n}.toml').question[:140]}…")""",
        "## Sweep: four scenarios, two processes",
        """from planner.sweep import sweep, table_rows

rows = sweep([SCENARIOS / f"{n}.toml" for n in names], time_limit=30, workers=2)
header, cells = table_rows(rows)
pd.DataFrame(cells, columns=header)""",
        "An infeasible scenario is not an error: the solver names the rules that cannot hold together. For "
        "example, close 华安 for the whole year (with only 4 special-ops sessions, to keep it quick):",
        """text = '''# Question: what if 华安 closed for the whole year?
extends = "{base}"
year = 2027
[[closures]]
institution = "huaan"
start = 2027-01-01
end = 2028-12-31
reason = "example"
[sessions]
special_ops = 4
'''.format(base=(SCENARIOS / "baseline_next_year.toml").as_posix())
(out / "huaan_closed.toml").write_text(text, encoding="utf-8")
sc = load_scenario(out / "huaan_closed.toml")
r = solve(sc.ctx, time_limit=20)
print(r.status.value)
for c in r.conflict:
    print(" -", c)""",
        "## Mid-year re-plan\n\n新世纪 fails the AQ 8011-2023 rectification in June 2024 and is out from 1 July. "
        "Everything before 17 June stays as published; the rest changes as little as possible.",
        """from planner.replan import replan
import datetime as dt

mid = load_scenario(SCENARIOS / "midyear_replan.toml")
published = read_plan(SCENARIOS / "plan_2024.csv", mid.ctx.catalogue)
rp = replan(published, mid.ctx, dt.date(2024, 6, 17), scenario=mid)
print(rp.result.tiers, "-", len(rp.pins), "sessions kept")
pd.DataFrame([{"session": c.label(), "before": c.old.exam_date, "after": c.new.exam_date, "days": c.days,
               "site": f"{c.old.institution} → {c.new.institution}", "why": rp.reasons[(c.stream, c.no)]}
              for c in rp.changes])""",
    ],
    "04_people_seats_waits.ipynb": [
        "# 4. People: candidates, seats and waits\n\n"
        "What the bureau decides is about people: how many sessions a year needs, with how many seats, and how long "
        "a candidate who finished training waits for an exam. Until a bureau gives its own registration figures, "
        "the candidates are an **estimate** (估计) built from public figures (`constraints/demand_anchors.csv`) by "
        "the method `constraints/demand_basis.csv` states; every figure derived from it is marked 估计. This notebook "
        "reads the estimate, plans a year with its candidates, sizes the year (the fewest sessions that keep every "
        "wait within the limit), shows how the answer moves with demand ±20 %, and shows how a bureau's own "
        "registration export replaces the estimate.\n\n"
        "It uses the shipped rule set (`constraints/yuncheng.toml`), whose rule `waiting` limits every wait to "
        "`max_wait_days` and whose preference `short_wait` prices every candidate seated later than its "
        "`target_days`.",
        SETUP,
        """from planner.data import constraints_dir
from planner.demand import default_demand_path, load_demand

catalogue = load_catalogue()
demand = load_demand(default_demand_path(), catalogue)
RULES = constraints_dir() / "yuncheng.toml"  # the shipped rules, whatever $PLANNER_RULES says
print(demand.status, "-", demand.method)
pd.DataFrame([{"考试计划": catalogue.streams[sid].name, "类别": catalogue.category_name(c),
               "初次": d.first_time, "换证": d.renewal, "上年补考": d.retake, "年内补考（推算）": d.returning,
               "参考率": d.show_rate, "合格率": d.pass_rate, "数据": demand.status}
              for sid, sd in demand.streams.items() for c, d in sd.categories.items()])""",
        "Seats per site: seats per exam day (computers × sittings) and the exam days one session uses.",
        """pd.DataFrame([{"考点": catalogue.institutions[i].short_name, "每日考位": s.seats_per_day,
               "每场考试天数": s.days_per_session, "每场最多天数": s.max_days, "依据": s.basis}
              for i, s in demand.sites.items()])""",
        "## A year planned with its candidates\n\n"
        "The rule set's session counts stay as they are (`planner plan --demand`); the candidates queue for the "
        "next session with a free seat for their category, first come first served. The command gives the quick "
        "answer (`solve(..., quick=True)`): the plan without candidates, improved by a local search that prices the "
        "waits, in about the time of a plan without candidates. The thorough search (`--thorough`, `solve` without "
        "`quick`) searches on with CP-SAT's model of the queue and uses its whole time limit (here 10 s instead of "
        "the command's 30 s) for shorter waits.",
        """year = 2026
ctx = make_context(year, rules=RULES, demand=demand)
rule = ctx.ruleset.rule("waiting")
print("longest wait allowed:", rule.max_wait_days, "days")
quick = solve(ctx, seed=0, time_limit=10, quick=True)
result = solve(ctx, seed=0, time_limit=10)
print("quick answer costs", quick.objective, "(stopped by the", quick.stopped_by + "); the thorough search", result.objective)
print(result.summary())
assert check_plan(result.plan, ctx).ok  # the waits are a rule like the others: check judges them too""",
        """from planner.queueing import CATEGORY_HEADER, category_rows, evaluate, site_month_candidates

load = evaluate(result.plan, ctx)  # the plain day-by-day queue (the model's waits agree with it: tests/test_queueing.py)
pd.DataFrame(category_rows(load, result.plan, ctx), columns=CATEGORY_HEADER)""",
        "Candidates seated / seats offered, per site and month:",
        """header, rows = site_month_candidates(load, ctx)
pd.DataFrame(rows, columns=header).set_index("考点")""",
        """from planner.charts import candidates_month, waits

candidates_month.draw(result.plan, ctx)""",
        """waits.draw(result.plan, ctx)""",
        "## How many sessions does the year need?\n\n"
        "`planner size`: the session counts become decisions; the answer is the fewest sessions, then the fewest "
        "exam days, that keep every wait within the limit and no session over its seats, proven optimal or with "
        "its gap stated.",
        """from planner.sizing import size

sized = size(ctx, demand, time_limit=10)
print(sized.describe())
pd.DataFrame(category_rows(evaluate(sized.result.plan, sized.ctx), sized.result.plan, sized.ctx),
             columns=CATEGORY_HEADER)""",
        "## Sensitivity: candidates and seats ±20 %\n\n"
        "The estimate is uncertain, so the answer is only as good as its range. Each row sizes the year again "
        "with the candidates or the seats scaled (10 s each, as above; the README's table is measured at 30 s).",
        """def sizing_row(label, r):
    ld = evaluate(r.result.plan, r.ctx).summary()
    return {"情形": label, "状态": r.status, **{f"{sid} 场次": n for sid, n in r.sessions.items()},
            "考试天数": r.exam_days, "最长候考": ld["max_wait_days"], "95%候考": ld["p95_wait_days"],
            "结转下年": ld["unserved"], "数据": r.demand.status}


rows = [sizing_row("估计", sized)]
for label, c, s in [("考生 +20%", 1.2, 1.0), ("考生 −20%", 0.8, 1.0), ("考位 +20%", 1.0, 1.2), ("考位 −20%", 1.0, 0.8)]:
    d = demand.scaled(candidates=c, seats=s)
    r = size(make_context(year, rules=RULES, demand=d), d, time_limit=10)
    rows.append(sizing_row(label, r) if r.result is not None and r.result.status.has_plan
                else {"情形": label, "状态": r.status, "说明": r.describe()})
pd.DataFrame(rows)""",
        "## The bureau's own figures replace the estimate\n\n"
        "`planner demand import EXPORT --out F` (and 导入报名数据 on the workbench) reads the exam system's "
        "per-session registration export (期次 or 考试日期, 类别, 报名人数, 参考人数, 合格人数) and writes a demand "
        "file with status 实际. The export below is **made up from this plan's own expected loads**, only to show "
        "the format and that the import gives the registrations back; a bureau uses its real export.",
        """from planner.demand_import import import_registrations

show = {(sid, c): d for sid, sd in demand.streams.items() for c, d in sd.categories.items()}
lines = ["期次,考试计划,考试日期,类别,报名人数,参考人数,合格人数"]
for s in load.sessions:
    for c, n in sorted(s.served.items()):
        if n:
            d = show[(s.stream, c)]
            sat = round(n * d.show_rate)
            lines.append(f"{s.no},{catalogue.streams[s.stream].name},{s.exam_date},{catalogue.category_name(c)},"
                         f"{n},{sat},{round(sat * d.pass_rate)}")
export = out / "报名导出示例.csv"
export.write_text("\\n".join(lines) + "\\n", encoding="utf-8-sig")
imported, notes = import_registrations(export, catalogue, demand)
print(imported.status, *notes, sep="\\n")""",
        "The imported file holds the candidates who *enter* the year (the export's registrations less the year's "
        "own retakes), so the queue under it gives back the export's registrations, category by category:",
        """back = evaluate(result.plan, make_context(year, rules=RULES, demand=imported))
pd.DataFrame([{"类别": catalogue.category_name(c.category),
               "导出报名人数": sum(n for s in load.sessions if s.stream == c.stream
                             for cc, n in s.served.items() if cc == c.category),
               "导入后预计考生": c.candidates, "数据": back.status} for c in back.categories])""",
    ],
}


def is_markdown(src: str) -> bool:
    """Prose cells start with a heading or a sentence; everything else is code."""
    return src.startswith(("# ", "## ", "An infeasible", "Sessions per", "Seats per", "Candidates seated", "The imported"))


def build(cells: list[str]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, src in enumerate(cells):
        cell = new_markdown_cell(src) if is_markdown(src) else new_code_cell(src)
        cell.id = f"c{i:02d}"  # stable ids: regenerating gives the same file
        nb.cells.append(cell)
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(cells), HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
