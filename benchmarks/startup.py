#!/usr/bin/env python
"""The year end to end, as ratios to bare imports measured in the same run (issue 11 item 1).

    python benchmarks/startup.py [--runs 5] [--year 2025]

Each round runs every command once (subprocess, from the repository's top folder), so a busy spell
on the shared machine slows them alike and the ratios hold:

* ``planner plan --year Y --no-pdf --out D`` (the publish set but its PDFs, which are LibreOffice's and
  matplotlib's A3 page: the set measured before ``plan`` made them) / ``python -c "import ortools.sat.python.cp_model,
  pandas, matplotlib.pyplot"`` — target at most 2x;
* ``planner plan --year Y --no-publish --out D`` / ``python -c "import ortools.sat.python.cp_model,
  holidays"`` — target at most 1.5x.

The package's bytecode is compiled first (``compileall``), as ``pip install`` does for an installed
package: this machine sets ``PYTHONDONTWRITEBYTECODE=1``, under which every run would compile the
planner's modules from source again (0.08 s). Likewise the runs share one calendar cache folder
(``PLANNER_CACHE_DIR``, fresh for the benchmark), which the first run of the year fills, as a
planner's first run does; one more command measures the run with that folder empty every time.

And the levers, each measured the same way: the publish workers (``PLANNER_WORKERS=0``: the same
command publishing serially, in one process); the interpreter's teardown (the same ``planner plan``
run through ``planner.cli.main`` ending in ``os._exit`` after flushing, against a normal exit: what
skipping it saves; the ``planner`` entry point itself skips it when it is ``planner.cli:run``), publishing into a folder that
already holds a plan (the previous ICS files are read), and, in one process, what the publish set
costs with and without its charts (``planner.publish.run.build_outputs``, charts=False/True).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, interleaved, log, md_table, med, planner_cmd

IMPORT_FULL = "import ortools.sat.python.cp_model, pandas, matplotlib.pyplot"
IMPORT_SOLVE = "import ortools.sat.python.cp_model, holidays"

#: the same command as ``planner plan``, through main(), ending with or without interpreter teardown
VIA_MAIN = ("import os, sys\nfrom planner.cli import main\nfrom planner.publish import workers\n"
            "workers.ALLOWED = True  # as the planner entry point does\nrc = main({args!r})\n"
            "sys.stdout.flush(); sys.stderr.flush()\n{end}\n")

#: in one process: the publish set's cost without and with charts (plan solved first, not timed)
PUBLISH_PARTS = """
import json, time
from planner import make_context, solve
from planner.publish.run import build_outputs
ctx = make_context({year}); plan = solve(ctx, explain=False).plan
t = time.perf_counter(); build_outputs(plan, ctx, charts=False); nocharts = time.perf_counter() - t
t = time.perf_counter(); files = build_outputs(plan, ctx, charts=True); full = time.perf_counter() - t
t = time.perf_counter(); build_outputs(plan, ctx, charts=True); again = time.perf_counter() - t
charts = sorted(k for k in files if k.startswith("charts/"))
print(json.dumps({{"nocharts": nocharts, "full": full, "again": again, "charts": charts}}))
"""


def table(year: int, runs: int) -> tuple[str, str, dict]:
    import compileall

    py = sys.executable
    compileall.compile_dir(str(ROOT / "src" / "planner"), quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    import os

    saved = os.environ.get("PLANNER_CACHE_DIR")
    os.environ["PLANNER_CACHE_DIR"] = str(tmp / "cache")  # every subprocess below inherits it
    try:
        plan_args = ["plan", "--year", str(year), "--no-pdf", "--out", str(tmp / "full")]  # LibreOffice: not ours to time
        cases = {
            "python -c pass": [py, "-c", "pass"],
            f'python -c "{IMPORT_FULL}"': [py, "-c", IMPORT_FULL],
            f'python -c "{IMPORT_SOLVE}"': [py, "-c", IMPORT_SOLVE],
            f"planner plan --year {year} --out D (full publish set; D holds the previous run's set)":
                planner_cmd() + plan_args,
            f"planner plan --year {year} --no-publish --out D": planner_cmd() + ["plan", "--year", str(year),
                                                                                 "--no-publish", "--out",
                                                                                 str(tmp / "np")],
            "the same, publishing serially (PLANNER_WORKERS=0)":
                ["env", "PLANNER_WORKERS=0", *planner_cmd(), *plan_args[:-1], str(tmp / "serial")],
            "same plan via main(), normal exit": [py, "-c", VIA_MAIN.format(args=plan_args, end="sys.exit(rc)")],
            "same plan via main(), os._exit after flush (no teardown)":
                [py, "-c", VIA_MAIN.format(args=plan_args, end="os._exit(rc)")],
        }
        cold_label = f"planner plan --year {year} --no-publish --out D, calendar cache empty each round"
        cases[cold_label] = lambda i: ["env", f"PLANNER_CACHE_DIR={tmp / f'cold{i}'}", *planner_cmd(), "plan",
                                       "--year", str(year), "--no-publish", "--out", str(tmp / f"npcold{i}")]
        fresh_label = f"planner plan --year {year} --out D, D a fresh folder each round"
        cases[fresh_label] = lambda i: planner_cmd() + ["plan", "--year", str(year), "--no-pdf", "--out", str(tmp / f"fresh{i}")]
        walls = interleaved(cases, runs)
        m = {k: med(v) for k, v in walls.items()}
        rows = [[k, f"{m[k]:.3f}", f"{min(v):.3f}-{max(v):.3f}"] for k, v in walls.items()]
        tbl = md_table(["command", f"wall s, median of {runs}", "min-max"], rows)
        full = m[f"planner plan --year {year} --out D (full publish set; D holds the previous run's set)"]
        nopub = m[f"planner plan --year {year} --no-publish --out D"]
        base_full = m[f'python -c "{IMPORT_FULL}"']
        r_full = full / base_full
        r_np = nopub / m[f'python -c "{IMPORT_SOLVE}"']
        serial = m["the same, publishing serially (PLANNER_WORKERS=0)"]
        teardown = m["same plan via main(), normal exit"] - m["same plan via main(), os._exit after flush (no teardown)"]
        parts = subprocess.run([py, "-c", PUBLISH_PARTS.format(year=year)], cwd=ROOT, capture_output=True, text=True)
        import json

        pp = json.loads(parts.stdout.strip().splitlines()[-1]) if parts.returncode == 0 else None
        ratios = md_table(["figure", "measured", "target (issue 11)"], [
            ["full `planner plan` / import ortools+pandas+matplotlib", f"**{r_full:.2f}x** ({full:.2f} s)", "<= 2x"],
            ["`planner plan --no-publish` / import ortools+holidays", f"**{r_np:.2f}x** ({nopub:.2f} s)", "<= 1.5x"],
            ["publish set (full - no-publish)", f"{full - nopub:.2f} s", ""],
            ["publishing serially in one process (PLANNER_WORKERS=0) / import ortools+pandas+matplotlib",
             f"{serial / base_full:.2f}x ({serial:.2f} s)",
             "lever: publish workers forked before OR-Tools"],
            ["interpreter teardown (normal exit - os._exit, via planner.cli.main)", f"{teardown:.3f} s",
             "lever: skip it (the `planner` entry point does)"],
            ["`--no-publish` with the calendar cache empty - filled", f"{m[cold_label] - nopub:+.3f} s",
             "lever: keep the holidays library's answer on disk"],
            ["re-run into the folder of the previous run (reads its ICS) - fresh folder",
             f"{full - m[fresh_label]:+.3f} s", "lever: don't re-read"],
            ["in one process: publish set without charts", f"{pp['nocharts']:.2f} s" if pp else "error", ""],
            ["in one process: publish set with charts, first call (imports matplotlib, fonts)",
             f"{pp['full']:.2f} s" if pp else "error", ""],
            ["in one process: publish set with charts, second call", f"{pp['again']:.2f} s" if pp else "error",
             "lever: render once, one format"],
            ["chart files written", ", ".join(Path(c).name for c in pp["charts"]) if pp else "error", ""],
        ])
        log(f"  startup: full {r_full:.2f}x, no-publish {r_np:.2f}x, teardown {teardown:.3f} s")
        return tbl, ratios, {"full_ratio": r_full, "nopub_ratio": r_np, "full": full, "nopub": nopub, "serial": serial,
                             "teardown": teardown, "parts": pp}
    finally:
        if saved is None:
            os.environ.pop("PLANNER_CACHE_DIR", None)
        else:
            os.environ["PLANNER_CACHE_DIR"] = saved
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--year", type=int, default=2025)
    a = ap.parse_args(argv)
    tbl, ratios, _ = table(a.year, a.runs)
    print(ratios + "\n\n" + tbl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
