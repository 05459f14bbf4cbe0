"""What leaves the office (issue 19): no note for the planner in any outgoing file, the checklist beside them."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest

from planner.publish.checklist import CHECKLIST_FILE, checklist_items
from planner.publish.run import build_outputs
from test_publish_support import solved  # noqa: F401 (fixture)

HAS_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))


def texts(name: str, data: bytes) -> list[tuple[str, str]]:
    """(where, text) of a published file: each member of a docx/xlsx, a PDF's text (pdftotext), else the bytes."""
    if name.endswith((".docx", ".xlsx")):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [(f"{name}:{m}", z.read(m).decode("utf-8", "replace")) for m in z.namelist()]
    if name.endswith(".pdf"):
        if not shutil.which("pdftotext"):
            return []
        out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, timeout=60, check=True)
        return [(name, out.stdout.decode("utf-8", "replace"))]
    return [(name, data.decode("utf-8", "replace"))]


def outgoing(files: dict[str, bytes]) -> list[tuple[str, str]]:
    return [t for name, data in sorted(files.items()) if name != CHECKLIST_FILE for t in texts(name, data)]


@pytest.fixture(scope="session")
def set2027(solved):
    """2027 (a provisional year whose 附件1 list is carried over from 2024): the whole set, PDFs included
    where LibreOffice is installed."""
    plan, ctx = solved(2027)
    return build_outputs(plan, ctx, notice_pdf=HAS_SOFFICE, wall_calendar=True)


def test_no_planner_note_in_any_outgoing_file(set2027, solved):
    plan, ctx = solved(2027)
    assert ctx.catalogue.materials_review  # the year does carry an unconfirmed list
    leaks = [where for where, text in outgoing(set2027) if "待核定" in text or "须按当年施行的规定核对" in text]
    assert leaks == []
    assert len(outgoing(set2027)) > 20  # the grep did read the set (zip members, CSVs, calendars, charts)
    # the note is on the planner's checklist instead
    checklist = set2027[CHECKLIST_FILE].decode("utf-8")
    assert "待核定" in checklist and "constraints/materials/2027.toml" in checklist
    assert checklist_items(plan, ctx) and all(item in checklist for item in checklist_items(plan, ctx))


def test_confirmed_year_has_no_materials_item(plan2024, ctx2024, solved):
    assert not any("附件1" in item for item in checklist_items(plan2024, ctx2024))
    plan, ctx = solved(2025)  # 2025 has no list of its own: 2024's, carried over, is on the checklist
    assert any("沿用2024年清单" in item for item in checklist_items(plan, ctx))


def test_cli_warns_once_and_still_publishes(tmp_path, capsys, solved):
    from planner.cli import main
    from planner.plan import plan_to_csv

    src = tmp_path / "plan.csv"
    src.write_text(plan_to_csv(solved(2025)[0]), encoding="utf-8")
    assert main(["publish", str(src), "--out", str(tmp_path / "o"), "--no-charts", "--no-pdf"]) == 0
    err = capsys.readouterr().err
    assert (tmp_path / "o" / "notice.docx").is_file() and (tmp_path / "o" / CHECKLIST_FILE).is_file()
    assert [line for line in err.splitlines() if CHECKLIST_FILE in line] == [line for line in err.splitlines()
                                                                            if line.startswith("warning")]
    assert err.count(CHECKLIST_FILE) == 1
