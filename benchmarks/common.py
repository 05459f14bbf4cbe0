"""Small helpers every benchmark module shares: Markdown tables, medians, timing a subprocess,
the CP-SAT objective of a built model with its proven bound.

Only the package's public API is used: ``planner.model.build_model`` builds the city-year model
(its ``penalties`` are the weighted preference terms the solver minimises), ``planner.solve``
plans, ``planner.check_plan`` prices.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def log(msg: str) -> None:
    """Progress on stderr, so that stdout stays the Markdown result."""
    print(msg, file=sys.stderr, flush=True)


def planner_cmd() -> list[str]:
    exe = shutil.which("planner")
    return [exe] if exe else [sys.executable, "-m", "planner"]


def run_timed(argv: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, int, str]:
    """(wall seconds, exit code, stdout) of one subprocess run."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, p.returncode, p.stdout


def interleaved(cases: dict[str, list[str] | Callable[[int], list[str]]], runs: int,
                cwd: Path = ROOT) -> dict[str, list[float]]:
    """Run every command once per round, *runs* rounds: a busy spell hits all of them alike, so their
    ratios hold even when the absolute times move. A case may be a function of the round number."""
    walls: dict[str, list[float]] = {k: [] for k in cases}
    for i in range(runs):
        for label, case in cases.items():
            argv = case(i) if callable(case) else case
            w, rc, _ = run_timed(argv, cwd)
            if rc != 0:
                raise RuntimeError(f"{label} exited {rc}: {' '.join(argv)}")
            walls[label].append(w)
    return walls


def preference_objective(mv):
    """The weighted preference sum of a built model: what ``planner.solve`` minimises (one tier)."""
    return sum(w * sum(terms) for w, terms in mv.penalties.values()) if mv.penalties else 0


def cp_solver(time_limit: float | None = None, det_limit: float | None = None, workers: int = 1, seed: int = 0,
              **params):
    from planner.model import cp_solver as planner_solver

    s = planner_solver(workers)
    s.parameters.random_seed = seed
    if time_limit is not None:
        s.parameters.max_time_in_seconds = float(time_limit)
    if det_limit is not None:
        s.parameters.max_deterministic_time = float(det_limit)
    for k, v in params.items():
        setattr(s.parameters, k, v)
    return s


def fmt_s(x: float | None, nd: int = 2) -> str:
    return "-" if x is None else f"{x:.{nd}f}"
