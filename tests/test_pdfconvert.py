"""The LibreOffice conversion is bounded, private and contained (``planner.publish.pdfconvert``).

A stand-in ``soffice`` (a shell script put first on PATH) plays LibreOffice's part, so these run on a machine
without it: it records its arguments, writes a PDF, or hangs with a child of its own as ``oosplash`` does."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.cli import main
from planner.data import scenarios_dir
from planner.publish import pdfconvert

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on Linux")

WRITES_PDF = """#!/bin/sh
echo "$@" >> "{log}"
for a; do last="$a"; done
out="$(dirname "$last")/$(basename "$last" .docx).pdf"
printf '%%PDF-1.4 stand-in' > "$out"
"""
HANGS = """#!/bin/sh
echo $$ >> "{log}"
sleep 300 &
echo $! >> "{log}"
wait
"""


def fake_soffice(tmp_path, monkeypatch, body: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "soffice.log"
    exe = bin_dir / "soffice"
    exe.write_text(body.format(log=log))
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def gone(pids, within: float = 30.0) -> bool:
    """True once none of *pids* runs (polled: a liveness bound for a loaded machine, not a timing assert)."""
    end = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def test_each_conversion_has_a_private_profile(tmp_path, monkeypatch):
    log = fake_soffice(tmp_path, monkeypatch, WRITES_PDF)
    for _ in range(2):
        pdf, note = pdfconvert.convert_docx(b"PK docx", "notice")
        assert pdf == b"%PDF-1.4 stand-in" and note == ""
    profiles = [next(a for a in line.split() if a.startswith("-env:UserInstallation=file://"))
                for line in log.read_text().splitlines()]
    assert len(profiles) == 2 and profiles[0] != profiles[1]  # never the user's profile, never shared
    assert all("/planner-pdf-" in p for p in profiles)
    assert not any(Path(p.split("file://", 1)[1]).exists() for p in profiles)  # removed afterwards


def test_a_hanging_conversion_is_stopped_with_its_children(tmp_path, monkeypatch):
    log = fake_soffice(tmp_path, monkeypatch, HANGS)
    pdf, note = pdfconvert.convert_docx(b"PK docx", "notice", timeout=1.0)
    assert pdf is None and "within 1 s" in note and "notice.docx is complete" in note
    pids = [int(x) for x in log.read_text().split()]
    assert len(pids) == 2 and gone(pids)  # the script and the child it started (as oosplash starts soffice.bin)


def test_the_conversion_dies_with_the_command_that_started_it(tmp_path, monkeypatch):
    log = fake_soffice(tmp_path, monkeypatch, HANGS)
    cmd = subprocess.Popen([sys.executable, "-c",
                            "from planner.publish.pdfconvert import convert_docx; convert_docx(b'x', 'notice')"],
                           env=dict(os.environ, TMPDIR=str(tmp_path)))  # the killed command's folder stays here
    end = time.monotonic() + 60
    while len(log.read_text().split()) < 2 if log.exists() else True:
        assert time.monotonic() < end and cmd.poll() is None
        time.sleep(0.05)
    pids = [int(x) for x in log.read_text().split()]
    cmd.send_signal(signal.SIGKILL)  # nothing of the command runs any more: the kernel and the group's head act
    cmd.wait()
    assert gone(pids)


def test_the_notice_converts_while_the_charts_are_drawn_and_dies_with_a_failing_publish(tmp_path, monkeypatch,
                                                                                        ctx2024, plan2024):
    """build_outputs starts LibreOffice before it draws the charts; when drawing fails, LibreOffice and its child are
    stopped before the error comes out (nothing keeps running, nothing is written)."""
    from planner.publish import workers
    from planner.publish.run import build_outputs

    log = fake_soffice(tmp_path, monkeypatch, HANGS)
    seen = []

    def charts_fail(*a, **k):
        end = time.monotonic() + 60
        while not (log.exists() and len(log.read_text().split()) == 2):  # LibreOffice runs while charts draw
            assert time.monotonic() < end, "LibreOffice did not start before the charts"
            time.sleep(0.05)
        seen.extend(int(x) for x in log.read_text().split())
        assert all(alive(p) for p in seen)  # still converting: the charts do not wait for it
        raise RuntimeError("the charts failed")

    monkeypatch.setattr(workers, "chart_files", charts_fail)
    with pytest.raises(RuntimeError, match="the charts failed"):
        build_outputs(plan2024, ctx2024, notice_pdf=True)
    assert len(seen) == 2 and gone(seen)


BOTH = """#!/bin/sh
for a; do last="$a"; done
echo "$last" >> "{log}"
n=0
while [ "$(wc -l < "{log}")" -lt 2 ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n+1)); done
[ "$(wc -l < "{log}")" -ge 2 ] || exit 3
printf '%%PDF-1.4 stand-in' > "$(dirname "$last")/$(basename "$last" .docx).pdf"
"""


def test_the_notice_and_the_revision_convert_side_by_side(tmp_path, monkeypatch, doc_bytes_small):
    """Each stand-in LibreOffice waits until the other has started: only two conversions under way at once both
    finish (one after the other, the first gives up after 20 s and no PDF is made)."""
    from planner.publish.run import _finish_pdfs, _start_pdfs

    log = fake_soffice(tmp_path, monkeypatch, BOTH)
    files = {"notice.docx": doc_bytes_small, "revision.docx": doc_bytes_small}
    pending, subs = _start_pdfs(files, None)
    monkeypatch.setattr("planner.publish.notice_docx.stable_pdf", lambda pdf, issued: pdf)
    _finish_pdfs(pending, subs, files)
    assert files["notice.pdf"] == files["revision.pdf"] == b"%PDF-1.4 stand-in"
    assert sorted(Path(x).name for x in log.read_text().split()) == ["notice.docx", "revision.docx"]


def test_an_absurd_note_is_refused_before_layout(tmp_path, capsys):
    """``check`` reads it (tests/test_faults.py); ``publish`` refuses it before any document is laid out."""
    lines = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8").splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("stream,"))
    cells = lines[head + 1].split(",")
    cells[6] = "长" * 200_000
    lines[head + 1] = ",".join(cells)
    plan = tmp_path / "long.csv"
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["publish", str(plan), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "long.csv, field 'notes'" in err and f"{cells[0]} #{cells[1]}" in err and "200000 characters" in err
    assert not (tmp_path / "out").exists()


def group_members(pgid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(pdfconvert.soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_real_libreoffice_out_of_time_leaves_nothing_running(monkeypatch, doc_bytes_small):
    started = []
    real_popen = subprocess.Popen

    def popen(*a, **k):
        started.append(real_popen(*a, **k))
        return started[-1]

    monkeypatch.setattr(pdfconvert.subprocess, "Popen", popen)
    pdf, note = pdfconvert.convert_docx(doc_bytes_small, "notice", timeout=0.3)  # LibreOffice starts slower
    assert pdf is None and "within 0.3 s" in note
    assert group_members(started[0].pid) == []


@pytest.fixture(scope="module")
def doc_bytes_small():
    import io

    from docx import Document

    buf = io.BytesIO()
    d = Document()
    d.add_paragraph("通知")
    d.save(buf)
    return buf.getvalue()
