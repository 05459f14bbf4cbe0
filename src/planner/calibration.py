"""The calibration table: every value chosen because the 2024 plan comes out right, with its sensitivity.

``constraints/calibration.csv`` lists each calibrated parameter of ``constraints/yuncheng.toml``
with its neutral code default, the step it is tried at, the evidence for its value, and the
blind 2024 reproduction error (mean absolute days, ``planner reproduce 2024`` part b) at the
value and one step either side — measured by ``python -m planner.calibration`` (which rewrites
those three columns), never typed in. The figures are in-sample: they are fitted on the one
published year there is, so they say how well the rules *describe* 2024, not how well they
predict another year.
"""
from __future__ import annotations

import copy
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from .data import constraints_dir, load_catalogue, scenarios_dir
from .errors import PlannerError
from .textio import atomic_write_text, read_csv_rows

HEADER = ["parameter", "value", "neutral_default", "step", "evidence", "blind_mae_minus", "blind_mae",
          "blind_mae_plus"]
COMMENT = ("# Calibration table: values of constraints/yuncheng.toml chosen so that 2024 comes out right (in-sample).\n"
           "# blind_mae*: blind 2024 reproduction error in days at value - step, value, value + step, measured by\n"
           "# `python -m planner.calibration` (it rewrites those columns); tests check value matches yuncheng.toml.\n")


@dataclass
class Row:
    parameter: str  # dotted path in the rule-set document, e.g. preferences.even_spread.position.managers
    value: float
    neutral_default: str
    step: float
    evidence: str
    mae_minus: str = ""
    mae: str = ""
    mae_plus: str = ""


def table_path() -> Path:
    return constraints_dir() / "calibration.csv"


def read_table(path: Path | None = None) -> list[Row]:
    path = path or table_path()
    rows = []
    for n, rec in read_csv_rows(path, HEADER):
        try:
            rows.append(Row(rec["parameter"], float(rec["value"]), rec["neutral_default"], float(rec["step"]),
                            rec["evidence"], rec["blind_mae_minus"], rec["blind_mae"], rec["blind_mae_plus"]))
        except ValueError:
            raise PlannerError("value and step must be numbers", file=path, row=n) from None
    return rows


def get_path(doc: dict, dotted: str):
    cur = doc
    for part in dotted.split("."):
        cur = cur[part]
    return cur


def set_path(doc: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    cur = doc
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value


def _typed(old, value: float):
    return int(round(value)) if isinstance(old, int) and not isinstance(old, bool) else round(value, 6)


def blind_mae(doc: dict, year: int = 2024) -> float:
    """Mean absolute error in days of the blind reproduction of the published plan under rule-set *doc*."""
    from .api import make_context
    from .planio import read_plan
    from .reproduce import compare_to_published
    from .ruleset import ruleset_from_dict
    from .solver import solve

    cat = load_catalogue()
    ctx = make_context(year, ruleset_from_dict(doc, "calibration", cat), catalogue=cat)
    published = read_plan(scenarios_dir() / f"plan_{year}.csv", cat, year=year)
    result = solve(ctx, time_limit=30)
    rows = compare_to_published(result.plan, published) if result.plan is not None else []
    return sum(abs(r.diff) for r in rows) / len(rows) if rows else float("nan")


def measure(rows: list[Row], base_doc: dict) -> list[Row]:
    center = f"{blind_mae(base_doc):.2f}"
    for r in rows:
        old = get_path(base_doc, r.parameter)
        out = []
        for v in (r.value - r.step, r.value + r.step):
            doc = copy.deepcopy(base_doc)
            set_path(doc, r.parameter, _typed(old, v))
            try:
                out.append(f"{blind_mae(doc):.2f}")
            except PlannerError as err:  # a step outside the parameter's range
                out.append(f"n/a ({err.message})")
        r.mae_minus, r.mae, r.mae_plus = out[0], center, out[1]
    return rows


def write_table(rows: list[Row], path: Path | None = None) -> None:
    buf = io.StringIO()
    buf.write(COMMENT)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for r in rows:
        w.writerow([r.parameter, f"{r.value:g}", r.neutral_default, f"{r.step:g}", r.evidence, r.mae_minus, r.mae,
                    r.mae_plus])
    atomic_write_text(path or table_path(), buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    from .ruleset import default_ruleset_path, read_toml

    doc = read_toml(default_ruleset_path())
    rows = measure(read_table(), doc)
    write_table(rows)
    for r in rows:
        print(f"{r.parameter} = {r.value:g} (±{r.step:g}): {r.mae_minus} / {r.mae} / {r.mae_plus}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    try:
        sys.exit(main())
    except PlannerError as err:  # a damaged table or rule set: one line, like every command
        print(f"planner.calibration: error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
