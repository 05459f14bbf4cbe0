"""The command line: exit codes and one-line errors for bad input, no traceback, nothing half-written."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main
from planner.data import scenarios_dir

from conftest import RULES_2024

PLAN = str(scenarios_dir() / "plan_2024.csv")
RULES = RULES_2024.read_text(encoding="utf-8")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_published_plan(capsys):
    code, out, err = run(capsys, "check", PLAN)
    assert code == 0 and "no violations" in out and "rotation" in out and err == ""


def test_check_violations_exit_1(capsys, tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text(Path(PLAN).read_text(encoding="utf-8").replace("2024-10-10", "2024-10-03"), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(bad))
    assert code == 1 and "working_day" in out and "managers #8" in out


def _plan_variant(tmp_path, text, name="p.csv", encoding="utf-8"):
    f = tmp_path / name
    f.write_bytes(text.encode(encoding))
    return str(f)


@pytest.mark.parametrize("edit, expect", [
    (lambda t: t.replace("stream,no,", "stream,number,"), ["row 4", "wrong header"]),
    (lambda t: t.replace("2024-03-06", "2024-3-6x"), ["row 5", "field 'exam_date'", "2024-3-6x"]),
    (lambda t: t.replace(",huaan,高危", ",hua_an,高危", 1), ["row 5", "field 'institution'", "hua_an"]),
    (lambda t: t.replace("managers,2,", "managers,1,"), ["row 6", "field 'no'", "duplicate 期次 1"]),
    (lambda t: t.replace("managers,2,", "bosses,2,"), ["row 6", "field 'stream'"]),
    (lambda t: "", ["empty"]),
    (lambda t: t.split("\n", 4)[3] + "\n", ["no sessions"]),
])
def test_bad_plan_files_give_one_line_exit_2(capsys, tmp_path, edit, expect):
    path = _plan_variant(tmp_path, edit(Path(PLAN).read_text(encoding="utf-8")))
    code, out, err = run(capsys, "check", path)
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and "Traceback" not in line and "p.csv" in line
    for part in expect:
        assert part in line


def test_missing_file(capsys):
    code, _, err = run(capsys, "check", "/nonexistent/plan.csv")
    assert code == 2 and "file not found" in err


def test_excel_gbk_csv_is_read(capsys, tmp_path):
    path = _plan_variant(tmp_path, Path(PLAN).read_text(encoding="utf-8"), encoding="gbk")
    code, out, err = run(capsys, "check", path)
    assert code == 0 and "no violations" in out and "GBK" in err


@pytest.mark.parametrize("edit, key", [
    (lambda t: t.replace("[rules.daily_cap]\nmax_exams_per_day = 1", "[rules.daily_cap]\nmax_exams_per_dya = 1"),
     "rules.daily_cap.max_exams_per_dya"),
    (lambda t: t.replace("min_days = 4 ", 'min_days = "four" '), "rules.registration_gap.min_days"),
    (lambda t: t.replace("managers = 11 ", "managers = 0 "), "rules.session_count.sessions.managers"),
    (lambda t: t.replace("special_ops = 48 ", "special_ops = -3 "), "rules.session_count.sessions.special_ops"),
    (lambda t: t.replace("min_days = 4 ", "min_days = 400 ").replace("max_days = 14 ", "max_days = 500 "),
     "rules.registration_gap.min_days"),
    (lambda t: t.replace("[rules.working_day]", "[rules.working_days]"), "rules.working_days"),
    (lambda t: t.replace("weight = 50", "weight = -1"), "preferences.monthly_cycle.weight"),
    (lambda t: "colour = 1\n" + t, "colour"),
    (lambda t: t.replace('sites = ["huaan"]', 'sites = ["huann"]'), "streams.managers.sites"),
    (lambda t: t.replace("= 60\n", "= 0\n"), "rules.coverage.max_days_between_opportunities"),
    (lambda t: t + "\n[broken", "not valid TOML"),
])
def test_bad_rule_sets_name_the_key(capsys, tmp_path, edit, key):
    f = tmp_path / "rules.toml"
    text = edit(RULES)
    assert text != RULES
    f.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "plan", "--year", "2024", "--rules", str(f), "--out", str(tmp_path / "o"))
    assert code == 2, err
    assert "rules.toml" in err and key in err and "Traceback" not in err
    assert not (tmp_path / "o" / "plan.csv").exists()


def test_year_outside_calendar(capsys, tmp_path):
    code, _, err = run(capsys, "plan", "--year", "1999", "--out", str(tmp_path / "o"))
    assert code == 2 and "outside the calendar" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; covered by the file-in-the-way case")
def test_unwritable_output(capsys, tmp_path):  # pragma: no cover - CI runs as root
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    code, _, err = run(capsys, "plan", "--year", "2024", "--out", str(d / "x"))
    assert code == 4 and "not writable" in err


def test_output_path_is_a_file(capsys, tmp_path):
    f = tmp_path / "taken"
    f.write_text("x")
    code, _, err = run(capsys, "plan", "--year", "2024", "--out", str(f))
    assert code == 4 and "not a folder" in err  # an I/O or environment failure, not bad input


def test_python_dash_m_and_console_script():
    r = subprocess.run([sys.executable, "-m", "planner", "check", PLAN], capture_output=True, text=True)
    assert r.returncode == 0 and "no violations" in r.stdout
    r = subprocess.run([sys.executable, "-m", "planner", "frobnicate"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_version_is_looked_up_only_when_asked(capsys, monkeypatch):
    """--version prints the installed version on stdout and exits 0; other runs never read the metadata."""
    import importlib.metadata

    from planner import __name__ as pkg

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"planner {importlib.metadata.version(pkg)}"

    real, asked = importlib.metadata.version, []

    def spy(name):
        asked.append(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", spy)
    assert main(["check", str(scenarios_dir() / "plan_2024.csv")]) == 0
    assert "planner" not in asked  # libraries (holidays) may read their own


def test_a_long_error_line_is_cut_between_clauses():
    """``planner size``'s conflict with its reason ran past the line's limit and its end began mid-clause ("… the
    exam; min_days=4, max_days=14); the waiting limit …"): the end now starts at a clause, the start as before."""
    from planner.cli import MAX_LINE, one_line_message

    clauses = [f"clause {k} (a; b) " + "x" * 60 for k in range(12)]
    line = "; ".join(clauses)
    said = one_line_message(line)
    assert len(said) <= MAX_LINE + 3
    head, _, tail = said.partition(" … ")
    assert line.startswith(head) and len(head) >= MAX_LINE // 2  # the start as before, at least half the line
    assert any(tail == "; ".join(clauses[k:]) for k in range(len(clauses)))  # whole clauses, never from "b) …"
    assert one_line_message("short; line") == "short; line"
    long_word = "y" * (2 * MAX_LINE)  # no clause boundary: cut in the middle, still one bounded line
    assert len(one_line_message(long_word)) <= MAX_LINE + 3
