"""Small scenario files for the what-if tests: a three-session rule set that solves in well under a second."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from planner.plan import Plan, Session, write_plan

TINY_RULES = """\
name = "tiny"
[streams.managers]
sites = ["huaan"]
[streams.special_ops]
sites = ["huaan", "juteng", "ruiyang", "xinshiji"]
[rules.working_day]
[rules.registration_gap]
min_days = 4
max_days = 14
[rules.daily_cap]
max_exams_per_day = 1
[rules.numbering]
[rules.kind]
[rules.scope]
[rules.institution_open]
closures = []
[rules.session_count.sessions]
managers = 3
"""
KIND = "高危行业主要负责人、安管员"
D = dt.date


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def tiny_scenario(folder: Path, name: str = "tiny_base.toml", body: str = "") -> Path:
    """``tiny.toml`` (the rule set) plus a scenario for 2024 on it, with *body* appended."""
    write(folder, "tiny.toml", TINY_RULES)
    return write(folder, name, f'# Question: a tiny test case.\nrules = "tiny.toml"\nyear = 2024\n{body}')


def tiny_plan(folder: Path) -> tuple[Plan, Path]:
    """Three managers sessions at 华安 (Wednesdays), written as a canonical CSV."""
    sessions = [Session("managers", 1, D(2024, 3, 1), D(2024, 3, 6), "huaan", KIND),
                Session("managers", 2, D(2024, 5, 10), D(2024, 5, 15), "huaan", KIND),
                Session("managers", 3, D(2024, 9, 6), D(2024, 9, 11), "huaan", KIND)]
    plan = Plan(2024, tuple(sessions), "tiny")
    path = folder / "tiny_plan.csv"
    write_plan(plan, path)
    return plan, path


def closure(inst: str, start: str, end: str) -> str:
    return f'\n[[closures]]\ninstitution = "{inst}"\nstart = {start}\nend = {end}\nreason = "test"\n'
