"""Shared fixtures: the notice's data, the 2024 context and plan, and tiny rule sets built in code."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.api import make_context
from planner.data import load_catalogue, scenarios_dir
from planner.plan import Plan, Session
from planner.planio import read_plan
from planner.ruleset import read_toml, ruleset_from_dict

ROOT = Path(__file__).resolve().parents[1]
#: the rule set the tests calibrate on: a copy of constraints/yuncheng.toml as it stood when 2024 came out right, so
#: the live configuration can change (a new rule, a new weight) without breaking tests about 2024's figures
RULES_2024 = ROOT / "tests" / "data" / "yuncheng_2024.toml"
D = dt.date


_OWN_CACHE: list[str] = []


def pytest_configure(config):
    """The tests keep the holidays library's cached answers in a folder of their own, never the user's (the CLI
    tests' subprocesses inherit it and the wall factor below); removed at the end."""
    import os
    import tempfile

    os.environ["PLANNER_RULES"] = str(RULES_2024)  # the subprocesses (CLI, notebooks) inherit it
    # `planner plan`/`publish` make notice.pdf with LibreOffice (seconds each): the CLI tests skip it; the tests
    # of the PDFs ask for them explicitly (build_outputs(notice_pdf=True))
    os.environ.setdefault("PLANNER_PDF", "0")
    # Solves stop at their deterministic limit, the same on any machine; the wall-clock backstop (one second per
    # unit outside the tests) moves out of the way, so a loaded machine cannot change a test's outcome.
    os.environ.setdefault("PLANNER_WALL_FACTOR", "20")
    if "PYTEST_XDIST_WORKER" not in os.environ:
        # the planner's bytecode, written once: where none is written (PYTHONDONTWRITEBYTECODE, -B), each of
        # the suite's interpreters (CLI runs, scripts, notebook kernels; about 40) would compile it from source
        import compileall

        import planner

        compileall.compile_dir(Path(planner.__file__).parent, quiet=1)
    if "PLANNER_CACHE_DIR" not in os.environ:
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="planner-test-cache-"))
        os.environ["PLANNER_CACHE_DIR"] = _OWN_CACHE[-1]


#: The files that take longest (seconds of test time each, measured per test on this 2-core machine, 2026-12-03),
#: longest first except that a browser walk-through alternates with a file of plain computing: the two workers
#: then rarely drive two Chromiums at once. The workers are handed these first, so a run ends on short files
#: instead of one worker finishing a long file while the other idles (``--no-loadscope-reorder`` in
#: ``pyproject.toml`` keeps this order). Only an order: a file missing here runs after them, in pytest's order.
LONG_FIRST = (
    "test_web_browser.py", "test_charts.py", "test_web_features_browser.py", "test_revision.py", "test_planner.py",
    "test_web_demand_browser.py", "test_demand.py", "test_notice_outgoing.py", "test_web_revision_browser.py",
    "test_notebooks.py", "test_docx_notice.py", "test_web_api.py", "test_publish_workers.py",
    "test_publish_outputs.py", "test_faces.py", "test_web_demand.py", "test_web_revision.py", "test_faults.py",
    "test_web_probes.py", "test_web_versions.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file keeps its own order


def pytest_unconfigure(config):
    import shutil

    for d in _OWN_CACHE:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def default_doc() -> dict:
    return read_toml(RULES_2024)


@pytest.fixture(scope="session")
def ctx2024():
    return make_context(2024)


@pytest.fixture(scope="session")
def plan2024(catalogue) -> Plan:
    return read_plan(scenarios_dir() / "plan_2024.csv", catalogue)


def stated(doc: dict) -> dict:
    """*doc* with every parameter a rule must be given (a fact: ``rules.base.REQUIRED``) and that *doc* leaves out
    taken from the shipped rule set, constraints/yuncheng.toml: a small test's ``"waiting": {}`` means the rule
    with the bureau's values, and the values come from the data file, never from code."""
    import copy

    from planner.data import constraints_dir
    from planner.rules import PREFERENCES, RULES
    from planner.rules.base import REQUIRED

    out = copy.deepcopy(doc)
    live = read_toml(constraints_dir() / "yuncheng.toml")
    for section, registry in (("rules", RULES), ("preferences", PREFERENCES)):
        for name, params in out.get(section, {}).items():
            if name not in registry or not isinstance(params, dict):
                continue  # the reader says what is wrong with it
            for key, spec in registry[name].PARAMS.items():
                if spec.default is REQUIRED and key not in params:
                    params[key] = copy.deepcopy(live[section][name][key])
    return out


def context_from_doc(doc: dict, year: int = 2024, overrides=None):
    cat = load_catalogue()
    return make_context(year, ruleset_from_dict(stated(doc), "test.toml", cat), catalogue=cat, overrides=overrides)


def tiny_doc(managers: int = 2, special_ops: int = 0, rules: dict | None = None, prefs: dict | None = None) -> dict:
    """A small rule set: few sessions, the hard rules named in *rules* (default: the structural ones and the 附件4
    scope, which every real rule set has)."""
    doc = {
        "name": "tiny",
        "streams": {"managers": {"sites": ["huaan"]}, "special_ops": {"sites": ["huaan", "juteng", "ruiyang", "xinshiji"]}},
        "rules": {"numbering": {}, "kind": {}, "scope": {}, "session_count": {"sessions": {}}},
        "preferences": prefs or {},
    }
    if managers:
        doc["rules"]["session_count"]["sessions"]["managers"] = managers
    if special_ops:
        doc["rules"]["session_count"]["sessions"]["special_ops"] = special_ops
    for k, v in (rules or {}).items():
        doc["rules"][k] = v
    return doc


def session(stream, no, deadline, exam, inst="huaan", kind=None) -> Session:
    kind = kind or ("高危行业主要负责人、安管员" if stream == "managers" else "特种作业人员初、复训")
    return Session(stream, no, deadline, exam, inst, kind, "")


def mutate(plan: Plan, key, **changes) -> Plan:
    """A copy of *plan* with one session's fields replaced."""
    out = []
    for s in plan.sessions:
        if s.key == key:
            s = Session(**{**s.__dict__, **changes})
        out.append(s)
    return plan.with_sessions(out)


def replaced(doc: dict, path: tuple, value) -> dict:
    """A deep copy of a TOML document with the value at *path* (a tuple of keys) replaced."""
    import copy

    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@pytest.fixture(scope="session")
def published(tmp_path_factory, plan2024, ctx2024):
    """The 2024 plan published (charts included) into a folder; (folder, written paths)."""
    from planner.publish.run import publish_all

    out = tmp_path_factory.mktemp("pub")
    return out, publish_all(plan2024, ctx2024, out)


@pytest.fixture(scope="session")
def solved():
    """year -> (plan, ctx) for generated plans of 2025 (all dates official), 2026 (reaches into January
    2027, provisional today) and 2027 (provisional); solved once per session."""
    from planner.api import make_context
    from planner.solver import solve

    cache = {}

    def get(year: int):
        if year not in cache:
            ctx = make_context(year)
            cache[year] = (solve(ctx, time_limit=30).plan, ctx)
        return cache[year]

    return get
