"""Audit V (the demand estimate): ``python -m planner.demand_estimate`` on a bad ``demand_basis.csv``.

Before this audit a negative, zero, absurd or fractional figure, an unknown category or a key given twice was
built into demand.toml and renewal_wave.csv with exit 0 (``scale = -1``: ``first_time = -9604``, a file the
planner itself then refuses), or ended in a traceback (``show_rate = 0``, ``seats.sites = 0``: exit 1). Now it is
one line naming the file, the row and the field, exit 2, and nothing is written. The shipped estimate is also held
to its anchors here: every quoted figure is the figure its quote states (a changed ``value`` with the quote left as
it was would have rebuilt the file byte for byte with a figure no source gives).
"""
from __future__ import annotations

import csv
import re
import shutil

import pytest

import planner.demand_estimate as de
from planner.data import constraints_dir, load_catalogue
from planner.wave_estimate import read_basis

BASIS = constraints_dir() / "demand_basis.csv"


def _with(tmp_path, key: str, value: str | None = None, extra: str = ""):
    """A copy of the constraints folder whose demand_basis.csv has *key*'s value replaced (or the key renamed when
    *value* starts with 'key='), plus *extra* lines; returns (folder, the edited row's number)."""
    d = tmp_path / "constraints"
    shutil.copytree(constraints_dir(), d)
    lines = BASIS.read_text(encoding="utf-8").split("\n")
    row = None
    for i, line in enumerate(lines):
        if key and line.startswith(key + ","):
            k, v, rest = line.split(",", 2)
            if value is not None and value.startswith("key="):
                k = value[4:]
            elif value is not None:
                v = value
            lines[i], row = f"{k},{v},{rest}", i + 1
    text = "\n".join(lines)
    if extra:
        text = text.rstrip("\n") + "\n" + extra + "\n"
    (d / "demand_basis.csv").write_text(text, encoding="utf-8")
    return d, row


def _rebuild(monkeypatch, capsys, tmp_path, folder):
    monkeypatch.setattr(de, "constraints_dir", lambda: folder)
    out, wave = tmp_path / "out" / "demand.toml", tmp_path / "out" / "renewal_wave.csv"
    out.parent.mkdir()
    code = de.main(["--out", str(out), "--wave-out", str(wave)])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err, [p.name for p in out.parent.iterdir()]


@pytest.mark.parametrize("key,value,why", [
    ("scale", "-1", "out of range"),                       # was: first_time = -9604, exit 0
    ("special_ops.electrical.sat", "-5", "out of range"),  # was: first_time = -5, exit 0
    ("special_ops.electrical.pass_rate", "1.5", "out of range"),
    ("retake_share", "3", "out of range"),                 # was: a hazchem first_time of -9, exit 0
    ("show_rate", "0", "out of range"),                    # was: ZeroDivisionError, exit 1
    ("seats.sites", "0", "out of range"),                  # was: ZeroDivisionError, exit 1
    ("scale", "nan", "out of range"),                      # was: ValueError, exit 1
    ("seats.registered", "1e12", "out of range"),          # was: seats_per_day = 5291005291, exit 0
    ("days_per_session", "0", "out of range"),             # was: days_per_session = 0, exit 0
    ("arrival_every_days", "2.5", "whole number"),         # was: written as 2, exit 0
    ("special_ops.electrical.sat", "10012.5", "whole number"),
    ("special_ops.welding.sat", "key=special_ops.weldng.sat", "not a category"),  # was: [categories.weldng]
    ("scale", "key=scal", "unknown key"),
])
def test_a_bad_figure_is_one_line_naming_file_row_and_field_and_nothing_is_written(
        monkeypatch, capsys, tmp_path, key, value, why):
    folder, row = _with(tmp_path, key, value)
    code, err, written = _rebuild(monkeypatch, capsys, tmp_path, folder)
    assert code == 2 and written == [], (code, written)
    assert len(err) == 1 and "demand_basis.csv" in err[0] and f"row {row}," in err[0] and why in err[0], err


def test_a_figure_given_twice_is_refused_not_the_last_one_taken(monkeypatch, capsys, tmp_path):
    folder, _ = _with(tmp_path, "", extra="show_rate,0.5,北京市,x,y,到考率50")  # was: show_rate = 0.5, exit 0
    code, err, written = _rebuild(monkeypatch, capsys, tmp_path, folder)
    assert code == 2 and written == [] and len(err) == 1 and "given twice" in err[0], err


def test_a_category_without_its_pass_rate_names_the_row(monkeypatch, capsys, tmp_path):
    folder, row = _with(tmp_path, "special_ops.height.pass_rate", "key=special_ops.height.pass")
    code, err, written = _rebuild(monkeypatch, capsys, tmp_path, folder)
    assert code == 2 and written == [] and len(err) == 1 and f"row {row}," in err[0], err


def test_the_basis_limits_are_the_demand_files():
    import planner.demand as dm
    import planner.wave_estimate as we

    assert (we.MAX_CANDIDATES, we.MAX_SEATS_PER_DAY, we.MAX_DAYS_PER_SESSION) == (
        dm.MAX_CANDIDATES, dm.MAX_SEATS_PER_DAY, dm.MAX_DAYS_PER_SESSION)


def test_the_shipped_figures_pass_and_rebuild_byte_for_byte(tmp_path):
    assert read_basis(BASIS, load_catalogue())
    assert de.default_text() == (constraints_dir() / "demand.toml").read_text(encoding="utf-8")


def _derivable(value: float, quote: str) -> bool:
    """*value* is a figure its quote states: a number of it, a percentage of it, the sum of its numbers, their
    mean weighted by the quote's 'weighted by' numbers, or the days of a quoted date span (MM-DD..MM-DD)."""
    nums = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", quote)]
    cands = set(nums) | {n / 100 for n in nums}
    if "+" in quote:
        cands.add(sum(nums))
    m = re.fullmatch(r"([\d.]+)% / ([\d.]+)% weighted by (\d+) / (\d+)", quote)
    if m:
        a, b, wa, wb = map(float, m.groups())
        cands.add(round((a * wa + b * wb) / (wa + wb) / 100, 4))
    span = re.search(r"(\d\d)-(\d\d)\.\.(\d\d)-(\d\d)", quote)
    if span and span[1] == span[3]:
        cands.add(int(span[4]) - int(span[2]) + 1)
    return any(abs(value - c) < 1e-9 for c in cands)


def test_every_quoted_figure_is_the_figure_its_quote_states():
    """tests/test_demand.py checks each quote's numbers are in its anchor row and in its Chinese text; this checks
    the number the method computes with (``value``) is the quote's, so neither can be changed alone."""
    rows = list(csv.DictReader((line for line in BASIS.read_text(encoding="utf-8").splitlines()
                                if not line.startswith("#")), ))
    checked = 0
    for rec in rows:
        if rec["place"] == "假设":
            continue
        assert _derivable(float(rec["value"]), rec["quote"]), (rec["key"], rec["value"], rec["quote"])
        checked += 1
    assert checked >= 20
    assert not _derivable(12000, "电工 10012") and not _derivable(0.93, "pass 92.94%")
