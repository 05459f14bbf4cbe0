"""I/O faults of the machine, not of the input (audit B, findings 4, 5, 6, 14, 15): a full disk or a file-size limit
is exit 4 naming the file, never 70 or 2, and the previous set stays as it was; a folder the user made read-only
is refused and no hidden copy of a set is ever left behind; LibreOffice's temporary folders go with the conversion;
a failed run removes the empty folders it created for ``--out``.

A full disk is simulated without root: ``RLIMIT_FSIZE`` in a subprocess (Python ignores SIGXFSZ, so a write past
the limit fails with EFBIG as on a full disk), or a writer made to raise ``OSError(ENOSPC)``."""
from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import IOFailure
from planner.outset import OutputSet

from test_faults import leftovers, one_line, prev, run, snapshot, template  # noqa: F401  (fixtures)
from test_pdfconvert import fake_soffice

ROOT = Path(__file__).resolve().parents[1]


def cli(argv, *, fsize: int | None = None, env: dict | None = None, unprivileged: bool = False):
    """``python -m planner ARGV`` with a file-size limit of *fsize* bytes, optionally without root's power to
    ignore file modes; (exit code, stderr)."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    cmd = [sys.executable, "-m", "planner", *argv]
    if unprivileged and os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search,-fowner"
        cmd = [shutil.which("setpriv"), f"--bounding-set={caps}", f"--inh-caps={caps}", "--", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=limit, timeout=120,
                       env=dict(os.environ, **(env or {})), cwd=ROOT)
    return r.returncode, r.stderr


def unprivileged_ok() -> bool:
    if os.geteuid() != 0:
        return True
    if not shutil.which("setpriv"):
        return False
    caps = "-dac_override,-dac_read_search,-fowner"
    probe = subprocess.run([shutil.which("setpriv"), f"--bounding-set={caps}", f"--inh-caps={caps}", "--", "true"],
                           capture_output=True)
    return probe.returncode == 0


# -- 4: a full disk while the workbook is built is exit 4, not a bug (70) ----------------------------------------

def test_file_size_limit_while_building_the_workbook_is_exit_4(prev, tmp_path):
    """openpyxl writes each sheet through a temporary file; past the limit that write fails inside lxml. Before:
    exit 70 "SerialisationError: IO_EFBIG" and a traceback log."""
    out, argv = prev
    before = snapshot(out)
    code, err = cli(argv, fsize=1500, env={"TMPDIR": str(tmp_path)})
    line = one_line(err)
    assert code == 4 and "notice.xlsx" in line and "File too large" in line, line
    assert snapshot(out) == before and leftovers(out) == []
    assert not (out / "planner-error.log").exists()
    assert not list(tmp_path.glob("planner-error-*"))


def test_full_disk_in_the_workbook_temporary_file(monkeypatch, ctx2024, plan2024):
    from openpyxl.worksheet import _writer

    from planner.publish.xlsx import notice_xlsx_bytes

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_writer, "create_temporary_file", full)
    with pytest.raises(IOFailure) as info:
        notice_xlsx_bytes(plan2024, ctx2024)
    assert info.value.exit_code == 4 and "notice.xlsx" in str(info.value)
    assert "No space left on device" in str(info.value)


# -- 4: a failed PDF conversion is the machine's failure (exit 4), not unusable input (exit 2) -----------------

FAILS = """#!/bin/sh
echo "Error: source file could not be loaded" >&2
exit 0
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a shell-script LibreOffice as on Linux")
def test_a_failed_pdf_conversion_is_exit_4_and_leaves_the_previous_set(capsys, monkeypatch, prev, tmp_path):
    out, argv = prev
    fake_soffice(tmp_path, monkeypatch, FAILS)
    monkeypatch.setenv("PLANNER_PDF", "1")
    before = snapshot(out)
    code, _, err = run(capsys, [a for a in argv if a != "--no-pdf"])
    line = one_line(err)
    assert code == 4 and "notice.docx" in line and "source file could not be loaded" in line, line
    assert snapshot(out) == before and leftovers(out) == []


# -- 5: a read-only output folder is refused; no hidden copies of a set -------------------------------------------

def test_a_read_only_output_folder_is_refused(capsys, prev):
    """Before: exit 0, the folder replaced behind the user's back, and a hidden copy of the old set left over."""
    out, argv = prev
    before = snapshot(out)
    out.chmod(0o555)
    try:
        code, _, err = run(capsys, argv)
        line = one_line(err)
        assert code == 4 and str(out) in line and "read-only" in line and "unchanged" in line, line
        assert snapshot(out) == before and leftovers(out) == []
        assert (out.stat().st_mode & 0o777) == 0o555
    finally:
        out.chmod(0o755)


@pytest.mark.skipif(not unprivileged_ok(), reason="needs a non-root user, or setpriv to drop root's file powers")
def test_read_only_folders_inside_old_copies_are_removed(prev):
    """A stale copy of a killed run and the replaced set both hold a read-only folder; neither is left behind
    (before: ``rmtree(ignore_errors=True)`` left them, and they piled up run after run)."""
    out, argv = prev
    stale = out.parent / f".{out.name}.tmp-1-dead"
    (stale / "csv").mkdir(parents=True)
    (stale / "csv" / "a.csv").write_text("x")
    (out / "csv").chmod(0o555)
    for p in (stale / "csv", stale):
        p.chmod(0o555)
    try:
        code, err = cli(argv, unprivileged=True)
        assert code == 0, err
        assert leftovers(out) == []
    finally:
        for p in (stale, stale / "csv", out / "csv"):
            if p.exists():
                p.chmod(0o755)


# -- 6: LibreOffice's temporary folders go with the conversion -------------------------------------------------

LEAVES_TMP = """#!/bin/sh
mkdir "${{TMPDIR:-/tmp}}/lu$$.tmp"
echo "${{TMPDIR:-/tmp}}" >> "{log}"
sleep 300 &
wait
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on Linux")
def test_libreoffice_temporary_folders_are_removed_with_the_conversion(tmp_path, monkeypatch):
    """LibreOffice killed (here at the time limit; an interrupt unwinds the same way) cannot remove its
    ``lu*.tmp``: it gets a TMPDIR inside the conversion's own folder, which is removed."""
    from planner.publish import pdfconvert

    log = fake_soffice(tmp_path, monkeypatch, LEAVES_TMP)
    user_tmp = tmp_path / "usertmp"
    user_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(user_tmp))
    monkeypatch.setattr("tempfile.tempdir", str(user_tmp))
    pdf, note = pdfconvert.convert_docx(b"PK docx", "notice", timeout=1.0)
    assert pdf is None and "within 1 s" in note
    seen = log.read_text().split()
    assert len(seen) == 1 and "/planner-pdf-" in seen[0]  # its own TMPDIR, not the user's
    assert list(user_tmp.iterdir()) == []  # nothing of the conversion stays


# -- 14: a failed run removes the empty folders it created for --out -------------------------------------------

def test_a_failed_run_removes_the_parents_it_created(tmp_path):
    out = tmp_path / "new" / "a" / "b" / "out"
    with pytest.raises(RuntimeError):
        with OutputSet(out, "plan") as tx:
            tx.write("plan.csv", b"x")
            raise RuntimeError("the solve failed")
    assert list(tmp_path.iterdir()) == []


def test_parents_that_existed_or_hold_files_stay(tmp_path):
    (tmp_path / "kept").mkdir()
    out = tmp_path / "kept" / "a" / "out"
    with pytest.raises(RuntimeError):
        with OutputSet(out, "plan"):
            (tmp_path / "kept" / "a" / "someone.txt").write_text("x")  # another program's file meanwhile
            raise RuntimeError("failed")
    assert sorted(p.name for p in (tmp_path / "kept" / "a").iterdir()) == ["someone.txt"]
    out2 = tmp_path / "kept" / "b" / "c" / "out"
    with pytest.raises(RuntimeError):
        with OutputSet(out2, "plan"):
            raise RuntimeError("failed")
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["a"]


def test_a_successful_run_keeps_the_parents(tmp_path):
    out = tmp_path / "new" / "a" / "out"
    with OutputSet(out, "plan") as tx:
        tx.write("plan.csv", b"x")
    assert (out / "plan.csv").read_bytes() == b"x" and leftovers(out) == []


def test_a_failed_publish_removes_the_parents_it_created(capsys, monkeypatch, template, tmp_path):
    _, plan, sc = template

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("planner.publish.run.build_outputs", full)
    out = tmp_path / "new" / "a" / "out"
    code, _, err = run(capsys, ["publish", str(plan), "--scenario", str(sc), "--out", str(out), "--no-pdf"])
    assert code == 4 and "No space left on device" in one_line(err)
    assert list(tmp_path.iterdir()) == []


# -- 15: every disk-full message names the file ---------------------------------------------------------------

def test_full_disk_while_compare_writes_its_chart_names_the_file(capsys, monkeypatch, template, tmp_path):
    """The chart goes through a writer that lets a nameless OSError out; the line names the file (before:
    "planner: error: File too large")."""
    _, plan, _ = template
    out = tmp_path / "cmp"

    def too_large(path, data):
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

    monkeypatch.setattr("planner.textio.atomic_write_bytes", too_large)
    code, _, err = run(capsys, ["compare", str(plan), str(plan), "--out", str(out)])
    line = one_line(err)
    assert code == 4 and "cannot write compare" in line and "File too large" in line and str(out) in line, line
    assert not out.exists() and leftovers(out) == []


def test_an_error_naming_a_temporary_file_names_the_final_one(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(IOFailure) as info:
        with OutputSet(out, "compare") as tx:
            p = tx.path("charts/compare")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(p.parent / ".compare.png.k3j2.tmp"))
    msg = str(info.value)
    assert "cannot write charts/compare.png (No space left on device)" in msg and ".tmp-" not in msg
    assert leftovers(out) == []


def test_an_input_that_cannot_be_read_keeps_its_own_message(tmp_path):
    """An OSError about a file outside the set (an input) is not turned into a write failure."""
    with pytest.raises(PermissionError):
        with OutputSet(tmp_path / "out", "plan"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/etc/some-input")


def test_a_file_written_alone_names_itself_when_the_disk_is_full(tmp_path):
    """`demand import --out F` writes one file, not a set: a full disk said "File too large" and named no file."""
    export = tmp_path / "报名.csv"
    export.write_text("期次,考试日期,类别,报名人数,参考人数,合格人数\n1,2024-03-06,电工作业,200,180,162\n"
                      "2,2024-05-10,高危行业主要负责人、安全管理员,40,36,30\n", encoding="utf-8")
    out = tmp_path / "demand.toml"
    out.write_text("# the previous file\n", encoding="utf-8")
    code, err = cli(["demand", "import", str(export), "--out", str(out)], fsize=300)
    assert code == 4 and str(out) in err and "unchanged" in err, err
    assert out.read_text(encoding="utf-8") == "# the previous file\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
