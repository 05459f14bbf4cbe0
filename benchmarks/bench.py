#!/usr/bin/env python
"""Benchmarks for ``planner``: solve time to proven optimality, how it scales, and command start-up.

    python benchmarks/bench.py            # full run, a few minutes on 2 cores; writes benchmarks/RESULTS.md
    python benchmarks/bench.py --quick    # about a minute: fewer runs, smaller scaled instances

Four parts (see benchmarks/README.md for what each number means):

1. **city-year**: the real Yuncheng rule set, one year at a time (2024-2028), solved by
   ``planner.solver.solve`` (the code path of ``planner plan``) to proven optimality; median wall
   time of N runs, CP-SAT's deterministic time, model size from the model proto.
2. **scaled**: synthetic provinces generated here, without touching the package: C cities, each a
   copy of the 7 institutions (ids suffixed ``_c<k>``, same scopes), its own streams
   (``managers_c<k>``, ``special_ops_c<k>``, ``on_demand_c<k>``), its own rotation, coverage and
   preferences, and one province-wide daily cap (``daily_cap.max_exams_per_day = C``).
3. **profile**: which rule's constraints make the proto, and solver alternatives on the largest
   instance (workers, core-based search, symmetry, and a redundant time-indexed daily cap encoding).
4. **start-up**: subprocess wall times of the commands against bare Python and bare imports, and the
   import chains that pull heavy libraries into commands that do not need them.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: libraries that cost real start-up time; a command importing one it does not use is a finding
HEAVY = ("ortools", "pandas", "numpy", "matplotlib", "openpyxl", "icalendar", "mplfonts", "google.protobuf", "scipy")


# ---------------------------------------------------------------------------------------------
# machine
# ---------------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 ** 2:.1f} GiB"
    except (OSError, AttributeError):
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        nproc = os.cpu_count() or 0
    import ortools

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        commit = ""
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "constraints"], cwd=ROOT,
                           capture_output=True, text=True, check=False).stdout.strip()
    if commit and dirty:
        commit += " + uncommitted changes in src/ or constraints/"
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": str(nproc),
        "cpu": cpu,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "ortools": ortools.__version__,
        "planner commit": commit or "unknown",
    }


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------------------------------------
# solving helpers (a replica of planner.solver's single-tier objective, to read bound and gap)
# ---------------------------------------------------------------------------------------------
def objective_expr(mv):
    return sum(w * sum(terms) for w, terms in mv.penalties.values()) if mv.penalties else 0


def model_size(model) -> tuple[int, int]:
    p = model.proto
    return len(p.variables), len(p.constraints)


def raw_solve(model, *, workers: int = 1, det_limit: float = 30.0, wall_limit: float | None = None, seed: int = 0,
              params: dict | None = None) -> dict:
    """Solve a built model with CP-SAT; status, objective, bound, gap and times."""
    from ortools.sat.python import cp_model

    s = cp_model.CpSolver()
    s.parameters.num_workers = workers
    s.parameters.random_seed = seed
    s.parameters.max_deterministic_time = float(det_limit)
    if wall_limit is not None:
        s.parameters.max_time_in_seconds = float(wall_limit)
    for k, v in (params or {}).items():
        setattr(s.parameters, k, v)
    t0 = time.perf_counter()
    st = s.solve(model)
    wall = time.perf_counter() - t0
    name = s.status_name(st)
    obj = bound = gap = None
    if name in ("OPTIMAL", "FEASIBLE"):
        obj, bound = s.objective_value, s.best_objective_bound
        gap = (obj - bound) / max(1.0, abs(obj))
    return {"status": name, "objective": obj, "bound": bound, "gap": gap, "wall": wall,
            "det": s.deterministic_time, "cp_wall": s.wall_time}


def solve_fn():
    """``planner``'s own solve (module ``planner.solver``; ``planner.solve`` before the rename)."""
    try:
        from planner.solver import solve
    except ModuleNotFoundError:
        from planner.solve import solve
    return solve


def fmt_status(r: dict) -> str:
    if r["status"] == "FEASIBLE" and r["gap"] is not None:
        return f"FEASIBLE (gap {100 * r['gap']:.1f}%, bound {r['bound']:.0f})"
    return r["status"]


def fmt_obj(v) -> str:
    return "-" if v is None else f"{v:.0f}"


# ---------------------------------------------------------------------------------------------
# 1. the real city-year
# ---------------------------------------------------------------------------------------------
def bench_city_year(years: list[int], runs: int, det_limit: float) -> tuple[str, list[dict]]:
    from planner.api import make_context
    from planner.model import build_model

    solve = solve_fn()

    rows, raw = [], []
    for year in years:
        ctx = make_context(year)
        builds, walls, dets, cp_walls = [], [], [], []
        res = None
        for _ in range(runs):
            t0 = time.perf_counter()
            mv = build_model(ctx)
            builds.append(time.perf_counter() - t0)
            mv.model.minimize(objective_expr(mv))
            cp_walls.append(raw_solve(mv.model, det_limit=det_limit)["cp_wall"])
            res = solve(ctx, seed=0, time_limit=det_limit, explain=False)
            walls.append(res.solve_seconds)
            dets.append(res.deterministic_time)
        nv, nc = model_size(build_model(ctx).model)
        info = {"year": year, "calendar": ctx.calendar.status(), "status": res.status.value,
                "objective": res.objective, "wall": med(walls), "wall_min": min(walls), "wall_max": max(walls),
                "build": med(builds), "cp_wall": med(cp_walls), "det": med(dets), "vars": nv, "cons": nc,
                "sessions": len(res.plan.sessions) if res.plan else 0}
        raw.append(info)
        rows.append([year, info["calendar"], info["status"], fmt_obj(info["objective"]), info["sessions"],
                     f"{info['wall']:.3f} ({info['wall_min']:.3f}-{info['wall_max']:.3f})", f"{info['build']:.3f}",
                     f"{info['cp_wall']:.3f}", f"{info['det']:.3f}", info["vars"], info["cons"]])
        print(f"  city-year {year}: {info['status']} in {info['wall']:.3f} s", file=sys.stderr, flush=True)
    header = ["year", "calendar", "status", "objective", "sessions", f"solve() wall s, median of {runs} (min-max)",
              "build s", "CP-SAT wall s", "det. time", "variables", "constraints"]
    return md_table(header, rows), raw


CITY_VARIANTS = [
    ("default (as planner runs it)", {}),
    ("cp_model_presolve=False", {"cp_model_presolve": False}),
    ("cp_model_probing_level=0", {"cp_model_probing_level": 0}),
    ("max_presolve_iterations=1", {"max_presolve_iterations": 1}),
    ("optimize_with_core=True", {"optimize_with_core": True}),
]


def bench_city_params(years: list[int], runs: int, det_limit: float) -> str:
    """CP-SAT wall (median of *runs*) of the real city-year under a few solver parameters."""
    from planner.api import make_context
    from planner.model import build_model

    rows = []
    for label, params in CITY_VARIANTS:
        row = [label]
        for year in years:
            ctx = make_context(year)
            walls, st, obj = [], "", None
            for _ in range(runs):
                mv = build_model(ctx)
                mv.model.minimize(objective_expr(mv))
                r = raw_solve(mv.model, det_limit=det_limit, params=params)
                walls.append(r["wall"])
                st, obj = r["status"], r["objective"]
            row.append(f"{med(walls):.3f} {'' if st == 'OPTIMAL' else st} ({fmt_obj(obj)})")
        rows.append(row)
        print(f"  city-year params [{label}] done", file=sys.stderr, flush=True)
    return md_table(["CP-SAT parameters (1 worker)"] + [f"{y}: wall s (objective)" for y in years], rows)


# ---------------------------------------------------------------------------------------------
# 2. synthetic provinces
# ---------------------------------------------------------------------------------------------
def synthetic(cities: int, *, stagger: bool = False):
    """(catalogue, rule set) for *cities* copies of Yuncheng sharing one daily cap of *cities* exams a day.

    Each city gets copies of the 7 institutions (``<id>_c<k>``, same licensed scope) and of the
    streams (``<stream>_c<k>``, same categories and kinds), its sites, session counts, rotation,
    coverage and preferences as in ``constraints/yuncheng.toml``. With *stagger*, each city's
    ``even_spread.position`` is shifted so that cities aim at different days of the month.
    """
    from planner.data import Catalogue, load_catalogue
    from planner.rules import PREFERENCES, RULES
    from planner.ruleset import default_ruleset_path, read_toml, ruleset_from_dict

    cat = load_catalogue()
    base = read_toml(default_ruleset_path())
    ids = set(base["streams"])
    doc = copy.deepcopy(base)
    insts, streams = {}, {}
    sufs = [f"_c{c}" for c in range(1, cities + 1)]
    for suf in sufs:
        for inst in cat.institutions.values():
            insts[inst.id + suf] = dataclasses.replace(inst, id=inst.id + suf)
        for st in cat.streams.values():
            streams[st.id + suf] = dataclasses.replace(st, id=st.id + suf)
    doc["streams"] = {sid + suf: {"sites": [x + suf for x in conf.get("sites", [])]}
                      for suf in sufs for sid, conf in base["streams"].items()}

    def is_streams_list(v):
        return isinstance(v, list) and v and all(isinstance(x, str) and x in ids for x in v)

    def is_streams_dict(v):
        return isinstance(v, dict) and v and all(k in ids for k in v)

    # every parameter that names streams (a list of ids, or a table keyed by id) is copied per city
    for section, registry in (("rules", RULES), ("preferences", PREFERENCES)):
        for name, conf in doc.get(section, {}).items():
            params = getattr(registry.get(name), "PARAMS", {})
            if "streams" in params and "streams" not in conf:
                conf["streams"] = copy.deepcopy(params["streams"].default)  # make the default explicit
            for key, v in list(conf.items()):
                if is_streams_list(v):
                    conf[key] = [s + suf for suf in sufs for s in v]
                elif is_streams_dict(v):
                    out = {}
                    for c, suf in enumerate(sufs):
                        for s, val in v.items():
                            if name == "session_count" and isinstance(val, dict):  # per-site table
                                val = {site + suf: dict(mm) for site, mm in val.items()}
                            elif key == "position" and stagger:
                                val = round((float(val) + c / cities * 0.8) % 1.0, 4)
                            out[s + suf] = copy.deepcopy(val)
                    conf[key] = out
    doc["rules"]["daily_cap"]["max_exams_per_day"] = cities
    scat = Catalogue(insts, cat.operations, streams, cat.materials, cat.materials_title, cat.source_dir)
    rs = ruleset_from_dict(doc, f"<synthetic {cities} cities>", scat)
    return scat, rs


def synthetic_context(cities: int, year: int, stagger: bool = False):
    from planner.api import make_context

    scat, rs = synthetic(cities, stagger=stagger)
    return make_context(year, rs, catalogue=scat)


def solve_ctx(ctx, **kw) -> dict:
    from planner.model import build_model

    t0 = time.perf_counter()
    mv = build_model(ctx)
    build = time.perf_counter() - t0
    mv.model.minimize(objective_expr(mv))
    nv, nc = model_size(mv.model)
    r = raw_solve(mv.model, **kw)
    r.update(build=build, vars=nv, cons=nc, slots=len(mv.all_slots()))
    return r


def bench_scaled(cities_list: list[int], years: list[int], det_limit: float, wall_limit: float,
                 single_opt: dict[int, float]) -> tuple[str, list[dict]]:
    rows, raw = [], []
    for year in years:
        for C in cities_list:
            ctx = synthetic_context(C, year)
            r = solve_ctx(ctx, det_limit=det_limit, wall_limit=wall_limit)
            rc = solve_ctx(ctx, det_limit=det_limit, wall_limit=wall_limit, params={"optimize_with_core": True})
            r.update(cities=C, year=year, core=rc)
            raw.append(r)
            one = single_opt.get(year)
            ref = "-" if one is None else f"{C * one:.0f}"
            rows.append([C, 7 * C, 3 * C, year, r["slots"], r["vars"], r["cons"], fmt_status(r), fmt_obj(r["objective"]),
                         ref, f"{r['build']:.2f}", f"{r['wall']:.2f}", f"{r['det']:.2f}",
                         fmt_status(rc), f"{rc['wall']:.2f}"])
            print(f"  scaled C={C} {year}: {fmt_status(r)} in {r['wall']:.2f} s", file=sys.stderr, flush=True)
    header = ["cities", "sites", "streams", "year", "session slots", "variables", "constraints", "status",
              "objective", "C x city optimum", "build s", "solve wall s", "det. time",
              "status, optimize_with_core", "wall s, optimize_with_core"]
    return md_table(header, rows), raw


def bench_sequence(C: int, years: list[int], det_limit: float, wall_limit: float) -> tuple[str, dict]:
    """Several plan years in sequence (each year is its own model, as ``planner plan`` runs them)."""
    total_wall = total_det = 0.0
    statuses = []
    for y in years:
        r = solve_ctx(synthetic_context(C, y), det_limit=det_limit, wall_limit=wall_limit)
        total_wall += r["build"] + r["wall"]
        total_det += r["det"]
        statuses.append(f"{y}: {fmt_status(r)} {r['wall']:.1f}s")
        print(f"  sequence C={C} {y}: {fmt_status(r)} in {r['wall']:.2f} s", file=sys.stderr, flush=True)
    row = [C, f"{years[0]}-{years[-1]}", "; ".join(statuses), f"{total_wall:.2f}", f"{total_det:.2f}"]
    return md_table(["cities", "years", "per year", "total wall s", "total det. time"], [row]), {
        "wall": total_wall, "det": total_det}


# ---------------------------------------------------------------------------------------------
# 3. profile: proto size by rule, and solver / encoding alternatives
# ---------------------------------------------------------------------------------------------
def proto_by_rule(ctx) -> list[tuple[str, int, int]]:
    """(part, variables, constraints) each rule's ``post`` adds; 'slots' is build_model's own part."""
    from planner.model import build_model

    added: dict[str, tuple[int, int]] = {}
    rules = list(ctx.ruleset.rules) + list(ctx.ruleset.preferences)
    for r in rules:
        orig = r.post

        def wrapped(mv, c, _r=r, _orig=orig):
            v0, c0 = model_size(mv.model)
            _orig(mv, c)
            v1, c1 = model_size(mv.model)
            added[_r.name] = (v1 - v0, c1 - c0)

        r.post = wrapped  # instance attribute on this benchmark's own rule objects; removed below
    try:
        mv = build_model(ctx)
    finally:
        for r in rules:
            r.__dict__.pop("post", None)
    nv, nc = model_size(mv.model)
    out = [("slots (build_model)", nv - sum(v for v, _ in added.values()), nc - sum(c for _, c in added.values()))]
    out += [(name, v, c) for name, (v, c) in added.items()]
    return out


def bench_proto_profile(cities_list: list[int], year: int) -> str:
    profiles = {C: proto_by_rule(synthetic_context(C, year)) for C in cities_list}
    names = [n for n, _, _ in profiles[cities_list[0]]]
    rows = []
    for n in names:
        row = [n]
        for C in cities_list:
            d = {a: (v, c) for a, v, c in profiles[C]}
            v, c = d.get(n, (0, 0))
            row.append(f"{v} / {c}")
        rows.append(row)
    tot = ["total"] + [f"{sum(v for _, v, _ in profiles[C])} / {sum(c for _, _, c in profiles[C])}"
                       for C in cities_list]
    rows.append(tot)
    return md_table(["part"] + [f"C={C}: vars / constraints" for C in cities_list], rows)


def add_time_indexed_cap(mv) -> int:
    """Redundant daily cap: for every day, sum of [slot present on that day] <= cap.

    Full 0/1 encoding of every slot's day (x == d literals, linked to x linearly), which gives the
    LP relaxation the per-day capacity the cumulative constraint only gives in aggregate. Returns
    the number of literals added.
    """
    rule = mv.ctx.ruleset.rule("daily_cap")
    cap = rule.max_exams_per_day
    m = mv.model
    per_day: dict[int, list] = {}
    n = 0
    for s in mv.all_slots():
        dom = list(s.x.proto.domain)
        values = [v for a, b in zip(dom[::2], dom[1::2]) for v in range(a, b + 1)]
        lits = []
        for d in values:
            b = m.new_bool_var(f"on[{s.stream}#{s.k},{d}]")
            m.add(s.x == d).only_enforce_if(b)
            lits.append((d, b))
            per_day.setdefault(d, []).append(b)
        m.add(sum(b for _, b in lits) == s.present)
        m.add(s.x == sum(d * b for d, b in lits)).only_enforce_if(s.present)
        n += len(lits)
    for d, bs in per_day.items():
        if len(bs) > cap:
            m.add(sum(bs) <= cap)
    return n


def hint_from_city(mv, year: int, det_limit: float) -> float:
    """Hint every city's slots with the single city's optimal plan (cities are copies); seconds spent.

    The hint is feasible for the province: each city alone keeps one exam a day, so C cities keep C.
    """
    from planner.model import build_model

    t0 = time.perf_counter()
    one = build_model(synthetic_context(1, year))
    one.model.minimize(objective_expr(one))
    from ortools.sat.python import cp_model

    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.max_deterministic_time = det_limit
    if s.solve(one.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return time.perf_counter() - t0
    val = {}
    for slot in one.all_slots():
        base = slot.stream.rsplit("_c", 1)[0]
        val[(base, slot.k)] = (s.value(slot.x), s.value(slot.gap), s.value(slot.present),
                               {i.rsplit("_c", 1)[0]: s.value(l) for i, l in slot.at.items()},
                               s.value(slot.kind) if slot.kind is not None else None)
    m = mv.model
    for slot in mv.all_slots():
        v = val.get((slot.stream.rsplit("_c", 1)[0], slot.k))
        if v is None:
            continue
        m.add_hint(slot.x, v[0])
        m.add_hint(slot.gap, v[1])
        m.add_hint(slot.present, v[2])
        for i, lit in slot.at.items():
            m.add_hint(lit, v[3].get(i.rsplit("_c", 1)[0], 0))
        if slot.kind is not None and v[4] is not None:
            m.add_hint(slot.kind, v[4])
    return time.perf_counter() - t0


def bench_alternatives(C: int, year: int, det_limit: float, wall_limit: float, quick: bool) -> tuple[str, list[dict]]:
    from planner.model import build_model

    ctx = synthetic_context(C, year)
    variants: list[tuple[str, dict, str | None]] = [
        ("as planner runs it: 1 worker, default search", {"workers": 1}, None),
        ("2 workers (portfolio)", {"workers": 2}, None),
        ("1 worker, optimize_with_core", {"workers": 1, "params": {"optimize_with_core": True}}, None),
        ("1 worker, symmetry_level=0", {"workers": 1, "params": {"symmetry_level": 0}}, None),
        ("1 worker, + time-indexed daily cap (redundant)", {"workers": 1}, "time_indexed"),
        ("1 worker, hint = each city's own optimal plan", {"workers": 1}, "hint"),
        ("1 worker, hint + optimize_with_core", {"workers": 1, "params": {"optimize_with_core": True}}, "hint"),
        ("cities staggered in the month (different targets)", {"workers": 1}, "stagger"),
        ("no daily cap (cities independent)", {"workers": 1}, "nocap"),
    ]
    if quick:
        variants = [v for v in variants if v[2] != "time_indexed"]
    rows, raw = [], []
    for label, kw, enc in variants:
        c = ctx
        if enc == "stagger":
            c = synthetic_context(C, year, stagger=True)
        elif enc == "nocap":
            scat, rs = synthetic(C)
            rs.rules = [r for r in rs.rules if r.name != "daily_cap"]
            from planner.api import make_context

            c = make_context(year, rs, catalogue=scat)
        t0 = time.perf_counter()
        mv = build_model(c)
        extra = add_time_indexed_cap(mv) if enc == "time_indexed" else 0
        if enc == "hint":
            hint_from_city(mv, year, det_limit)  # its time (one city-year solve) counts in build s
        build = time.perf_counter() - t0
        mv.model.minimize(objective_expr(mv))
        nv, nc = model_size(mv.model)
        r = raw_solve(mv.model, det_limit=det_limit, wall_limit=wall_limit, workers=kw["workers"],
                      params=kw.get("params"))
        r.update(label=label, build=build, vars=nv, cons=nc, extra=extra)
        raw.append(r)
        rows.append([label, nv, nc, fmt_status(r), fmt_obj(r["objective"]), f"{build:.2f}", f"{r['wall']:.2f}",
                     f"{r['det']:.2f}"])
        print(f"  alternative C={C} [{label}]: {fmt_status(r)} in {r['wall']:.2f} s", file=sys.stderr, flush=True)
    return md_table(["variant", "variables", "constraints", "status", "objective", "build s", "solve wall s",
                     "det. time"], rows), raw


def presolve_wall(C: int, year: int) -> tuple[float, float]:
    """(presolve wall seconds, its deterministic time) read from CP-SAT's log for one instance."""
    from ortools.sat.python import cp_model
    from planner.model import build_model

    mv = build_model(synthetic_context(C, year) if C else None) if C else None
    if mv is None:
        from planner.api import make_context

        mv = build_model(make_context(year))
    mv.model.minimize(objective_expr(mv))
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.stop_after_presolve = True
    s.parameters.log_search_progress = True
    s.parameters.log_to_stdout = False
    lines: list[str] = []
    s.log_callback = lines.append
    t0 = time.perf_counter()
    s.solve(mv.model)
    wall = time.perf_counter() - t0
    return wall, s.deterministic_time


# ---------------------------------------------------------------------------------------------
# 4. start-up and import laziness
# ---------------------------------------------------------------------------------------------
def planner_cmd() -> list[str]:
    exe = shutil.which("planner")
    return [exe] if exe else [sys.executable, "-m", "planner"]


def time_cmd(argv: list[str], runs: int, cwd: Path) -> tuple[float, float, float, int]:
    walls, rc = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        rc = p.returncode
    return med(walls), min(walls), max(walls), rc


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """(depth, self µs, cumulative µs, module) in -X importtime's order (children before parents)."""
    out = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            out.append((len(m.group(3)) // 2, int(m.group(1)), int(m.group(2)), m.group(4)))
    return out


def chain_of(entries, i: int) -> list[str]:
    """Import chain from the top-level import down to entry *i* (parents are printed after children)."""
    depth, _, _, name = entries[i]
    chain = [name]
    for j in range(i + 1, len(entries)):
        d, _, _, n = entries[j]
        if d < depth:
            chain.append(n)
            depth = d
            if d == 0:
                break
    return list(reversed(chain))


def import_audit(args_list: list[str], cwd: Path) -> tuple[float, list[tuple[str, float, str]]]:
    """Total import time of a command run and, per heavy library, its cost and the chain that imports it."""
    code = ("import sys; from planner.cli import main; "
            f"sys.exit(main({args_list!r}))")
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=cwd, capture_output=True, text=True)
    entries = parse_importtime(p.stderr)
    total = sum(c for d, _, c, _ in entries if d == 0) / 1e6
    found: list[tuple[str, float, str]] = []

    def lib(name: str) -> str | None:
        return next((h for h in HEAVY if name == h or name.startswith(h + ".")), None)

    def parent(i: int) -> int | None:
        return next((j for j in range(i + 1, len(entries)) if entries[j][0] < entries[i][0]), None)

    cost: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}  # library -> (cumulative µs, index) of its costliest outermost entry
    for i, (d, _, cum, name) in enumerate(entries):
        top = lib(name)
        if top is None:
            continue
        p_ = parent(i)
        if p_ is not None and lib(entries[p_][3]) == top:
            continue  # not the outermost entry of this library
        cost[top] = cost.get(top, 0.0) + cum / 1e6
        if cum > best.get(top, (-1, -1))[0]:
            best[top] = (cum, i)
    for top, (_, i) in best.items():
        found.append((top, cost[top], " → ".join(chain_of(entries, i))))
    found.sort(key=lambda t: -t[1])
    tops = sorted(((c / 1e6, n) for d, _, c, n in entries if d == 0), reverse=True)[:4]
    return total, found, tops


#: which heavy libraries each command legitimately needs
NEEDS = {
    "check": set(),
    "calendar": set(),
    "plan": {"ortools", "google.protobuf", "numpy"},
}


def bench_startup(runs: int) -> tuple[str, str, list[str], dict]:
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    try:
        plan_out = tmp / "out"
        cases = [
            ("python -c pass (interpreter)", [py, "-c", "pass"]),
            ("python -c 'import planner.cli'", [py, "-c", "import planner.cli"]),
            ("python -c 'import ortools…cp_model, pandas, numpy, holidays'",
             [py, "-c", "import ortools.sat.python.cp_model, pandas, numpy, holidays"]),
            ("python -c 'import ortools…cp_model, holidays' (what plan needs)",
             [py, "-c", "import ortools.sat.python.cp_model, holidays"]),
            ("planner calendar --year 2025", planner_cmd() + ["calendar", "--year", "2025"]),
            ("planner check scenarios/plan_2024.csv", planner_cmd() + ["check", "scenarios/plan_2024.csv"]),
            ("planner plan --year 2025 --out tmp", planner_cmd() + ["plan", "--year", "2025", "--out", str(plan_out)]),
        ]
        rows, raw = [], {}
        for label, argv in cases:
            m_, lo, hi, rc = time_cmd(argv, runs, ROOT)
            raw[label] = m_
            rows.append([label, f"{m_:.3f}", f"{lo:.3f}-{hi:.3f}", rc])
            print(f"  startup {label}: {m_:.3f} s", file=sys.stderr, flush=True)
        table = md_table([f"command", f"wall s, median of {runs}", "min-max", "exit"], rows)

        audit_rows, findings = [], []
        for cmd, argv in [("check", ["check", "scenarios/plan_2024.csv"]), ("calendar", ["calendar", "--year", "2025"]),
                          ("plan", ["plan", "--year", "2025", "--out", str(plan_out)])]:
            total, found, tops = import_audit(argv, ROOT)
            heavy = ", ".join(f"{lib} {sec * 1000:.0f} ms" for lib, sec, _ in found) or "none"
            if found:
                heavy += " (nested libraries count in their importer too)"
            audit_rows.append([f"planner {cmd}", f"{total * 1000:.0f}", heavy,
                               ", ".join(f"{n} {c * 1000:.0f}" for c, n in tops)])
            for lib, sec, chain in found:
                if lib not in NEEDS[cmd]:
                    findings.append(f"`planner {cmd}` imports `{lib}` ({sec * 1000:.0f} ms, not used by the "
                                    f"command itself) via `{chain}`")
            raw[f"imports {cmd}"] = total
        audit = md_table(["command", "import time ms (-X importtime, top level)", "heavy libraries imported",
                           "largest top-level imports, ms"],
                         audit_rows)
        return table, audit, findings, raw
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
def parse_years(s: str) -> list[int]:
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and smaller instances (about a minute)")
    ap.add_argument("--runs", type=int, default=None, help="runs per timing (default 5, quick 3)")
    ap.add_argument("--years", default="2024-2028", help="years of the city-year part [2024-2028]")
    ap.add_argument("--cities", default=None, help="city counts of the scaled part [1,2,4,8,11; quick 1,2,4]")
    ap.add_argument("--sequence-years", default="2024-2026",
                    help="years solved in sequence for the largest city count ('' to skip) [2024-2026]")
    ap.add_argument("--det-limit", type=float, default=30.0,
                    help="CP-SAT deterministic-time limit per solve [30]")
    ap.add_argument("--wall-limit", type=float, default=None,
                    help="wall-clock limit per scaled instance, seconds [20; quick 10]")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: city,scaled,profile,startup")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"), help="Markdown results file ('' not to write)")
    a = ap.parse_args(argv)

    runs = a.runs or (3 if a.quick else 5)
    years = parse_years(a.years)
    cities = [int(c) for c in (a.cities or ("1,2,4" if a.quick else "1,2,4,8,11")).split(",")]
    wall_limit = a.wall_limit or (10.0 if a.quick else 20.0)
    seq_years = [] if a.quick else parse_years(a.sequence_years)
    skip = set(filter(None, a.skip.split(",")))

    mach = machine()
    sections = ["# planner benchmark results", "",
                f"`python benchmarks/bench.py {' '.join(argv if argv is not None else sys.argv[1:])}`".replace(" `", "`"),
                "", "## Machine", "", md_table(["", ""], [[k, v] for k, v in mach.items()]), ""]

    def emit(title: str, body: str, note: str = "") -> None:
        block = f"## {title}\n\n" + (note + "\n\n" if note else "") + body + "\n"
        print(block, flush=True)
        sections.append(block)

    t_all = time.perf_counter()
    single_opt: dict[int, float] = {}
    if "city" not in skip:
        table, raw = bench_city_year(years, runs, a.det_limit)
        single_opt = {r["year"]: r["objective"] for r in raw if r["status"] == "OPTIMAL"}
        emit("1. One city-year (real Yuncheng rule set)", table,
             "`planner.solver.solve` (the `planner plan` code path: build, solve, extract) to proven optimality, "
             "one worker, seed 0. *build s*: `build_model` alone; *CP-SAT wall s*: `CpSolver.solve` alone on the "
             "same model.")
        emit("1b. One city-year under other CP-SAT parameters", bench_city_params(years, runs, a.det_limit),
             f"`CpSolver.solve` wall, median of {runs}; status OPTIMAL unless said; objective in brackets "
             "(equal objectives = same optimum).")
    if "scaled" not in skip:
        scaled_years = years[:1]
        if not single_opt:
            from planner.api import make_context

            solve = solve_fn()
            single_opt = {y: solve(make_context(y), time_limit=a.det_limit, explain=False).objective
                          for y in scaled_years}
        table, raw = bench_scaled(cities, scaled_years, a.det_limit, wall_limit, single_opt)
        emit("2. Synthetic provinces: C cities × 7 sites, one province-wide daily cap of C exams", table,
             f"One worker; limit {a.det_limit:g} deterministic units and {wall_limit:g} s wall per instance. "
             "OPTIMAL = proven optimal; otherwise FEASIBLE with the relative gap to CP-SAT's bound. "
             "*C x city optimum* is C times the single city's optimum (a valid upper bound: every city "
             "can use its own optimal plan, at most one exam a day each).")
        if seq_years:
            t2, _ = bench_sequence(max(cities), seq_years, a.det_limit, wall_limit)
            emit(f"2b. {max(cities)} cities, several years in sequence", t2,
                 "Each plan year is its own model (as `planner plan --year Y` runs them); times add up.")
    if "profile" not in skip:
        prof_cities = sorted({1, max(cities)})
        emit("3a. Proto size by rule", bench_proto_profile(prof_cities, years[0]),
             "Variables / constraints each rule's `post` adds to the CP-SAT proto (wrapped in the benchmark only).")
        pw = [(C, *presolve_wall(C, years[0])) for C in cities]
        emit("3b. CP-SAT presolve alone (stop_after_presolve)",
             md_table(["cities", "presolve wall s", "det. time"], [[C, f"{w:.2f}", f"{d:.3f}"] for C, w, d in pw]),
             "Wall time that the deterministic limit does not see.")
        big = max(cities)
        table, _ = bench_alternatives(big, years[0], a.det_limit, wall_limit, a.quick)
        emit(f"3c. Solver and encoding alternatives at C={big}", table,
             f"Same instance and limits as part 2 ({wall_limit:g} s wall). Only the benchmark's copy of the model "
             "is changed.")
    if "startup" not in skip:
        t, audit, findings, _ = bench_startup(runs)
        emit("4. Start-up", t, "Subprocess wall time from this repository's top folder.")
        emit("4b. What each command imports", audit + "\n\n" + ("\n".join(f"- {f}" for f in findings)
                                                                 if findings else "- no command imports a heavy "
                                                                 "library it does not use"))
    sections.append(f"Total benchmark time: {time.perf_counter() - t_all:.0f} s.\n")
    print(sections[-1])
    if a.out:
        Path(a.out).write_text("\n".join(sections), encoding="utf-8")
        print(f"wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
