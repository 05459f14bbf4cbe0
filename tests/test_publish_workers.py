"""The publish workers (planner.publish.workers) give the very bytes the serial path gives.

Each case runs in a fresh interpreter: the workers fork only from a single-threaded process, and
the test process may hold threads (the web tests' servers).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2,
                                reason="the workers fork and need two cores")

SCRIPT = r"""
import json, os, signal, sys
from planner import make_context, solve
from planner.errors import PlannerError
from planner.publish import workers as W
from planner.publish.run import build_outputs

W.ALLOWED = True
ctx = make_context(2025)
plan = None
serial = {}
results = {}
for case in sys.argv[1:]:
    w = W.PublishWorkers.start(ctx)  # forked before OR-Tools is imported (the first time), as the command does
    assert w is not None and set(w.workers) == {"charts", "documents"}, "workers did not start"
    if plan is None:
        plan = solve(ctx, explain=False).plan
    kw = {}
    if case == "killed":
        os.kill(w.workers["charts"].pid, signal.SIGKILL)
        os.waitpid(w.workers["charts"].pid, 0)
    if case == "bad-template":
        kw = {"template": "{% if %}"}
    out = {}
    try:
        par = build_outputs(plan, ctx, workers=w, **kw)
    except PlannerError as err:
        par = "error: " + str(err)
    delivered = {r: x.delivered for r, x in w.workers.items()}
    w.close()
    key = json.dumps(kw, sort_keys=True)
    if key not in serial:  # the serial path of the same inputs is the same bytes: built once per inputs
        try:
            serial[key] = build_outputs(plan, ctx, **kw)
        except PlannerError as err:
            serial[key] = "error: " + str(err)
    ser = serial[key]
    if isinstance(par, dict):
        out["same_names"] = sorted(par) == sorted(ser)
        out["different"] = sorted(k for k in par if par[k] != ser.get(k))
        out["files"] = len(par)
    else:
        out["errors"] = [par, ser]
    out["delivered"] = delivered
    results[case] = out
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def cases() -> dict:
    """The three cases in one fresh interpreter (one start-up, one solve), each with its own workers."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "ok", "killed", "bad-template"], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PLANNER_WORKERS": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_workers_build_the_same_bytes_as_the_serial_path(cases):
    out = cases["ok"]
    assert out["delivered"] == {"charts": True, "documents": True}  # the parallel path really ran
    assert out["same_names"] and out["different"] == [] and out["files"] > 15


def test_a_worker_that_dies_costs_only_time(cases):
    out = cases["killed"]
    assert out["delivered"] == {"charts": False, "documents": True}
    assert out["same_names"] and out["different"] == []


def test_an_error_in_a_worker_is_the_serial_error(cases):
    out = cases["bad-template"]
    par, ser = out["errors"]
    assert par == ser and par.startswith("error: ") and "template" in par
    assert out["delivered"]["documents"] is False


def test_the_command_line_publishes_the_same_set_with_and_without_workers(tmp_path: Path):
    outs = {}
    for workers in ("", "0"):
        d = tmp_path / f"w{workers or 'on'}"
        proc = subprocess.run([sys.executable, "-m", "planner", "plan", "--year", "2025", "--out", str(d)],
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PLANNER_WORKERS": workers})
        assert proc.returncode == 0, proc.stderr
        outs[workers] = {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
    on, off = outs[""], outs["0"]
    assert sorted(on) == sorted(off)
    # byte for byte, summary.json and the manifest included (they held the wall-clock solve_seconds until
    # 2026-12-05: the same inputs now give the same files)
    assert [k for k in on if on[k] != off[k]] == []


def test_size_publishes_the_same_set_with_and_without_workers(tmp_path: Path):
    """`planner size` forks its workers before it knows the sized year (counts, candidates): they must not publish
    it, or the set lost the candidates' charts (charts/candidates_month.svg, waits.svg) and report.html its people."""
    from planner.data import constraints_dir

    demand = tmp_path / "d.toml"  # a small demand, so that the two sizings are quick
    demand.write_text("""status = "估计"
[streams.managers]
arrival_every_days = 31
retake_lag_days = 30
[streams.managers.categories.managers]
first_time = 300
profile = [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
[streams.special_ops]
arrival_every_days = 7
retake_lag_days = 30
[streams.special_ops.categories.electrical]
first_time = 400
[sites.huaan]
seats_per_day = 60
""", encoding="utf-8")
    outs = {}
    for workers in ("", "0"):
        d = tmp_path / f"w{workers or 'on'}"
        proc = subprocess.run([sys.executable, "-m", "planner", "size", "--year", "2025", "--no-pdf", "--demand",
                               str(demand), "--rules", str(constraints_dir() / "yuncheng.toml"), "--out", str(d)],
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PLANNER_WORKERS": workers})
        assert proc.returncode == 0, proc.stderr
        outs[workers] = {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
    on, off = outs[""], outs["0"]
    assert "charts/candidates_month.svg" in off and "charts/waits.svg" in off
    assert sorted(on) == sorted(off)
    assert [k for k in on if k not in {"summary.json", "manifest.json"} and on[k] != off[k]] == []
