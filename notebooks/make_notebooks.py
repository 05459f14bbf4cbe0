"""Write the three notebooks of this folder from the cells below (run after editing; commit without outputs).

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
}


def is_markdown(src: str) -> bool:
    """Prose cells start with a heading or a sentence; everything else is code."""
    return src.startswith(("# ", "## ", "An infeasible", "Sessions per"))


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
