"""A bureau's registration export as it really arrives at `planner demand import` (and 导入报名数据): exported by the
provincial exam system, then opened, edited and saved in Excel or WPS — a title above the header, a 合计 row, notes,
header and number variants, other sheets, other CSV dialects. Found by an audit of realistic files, 2026-12."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import pytest

from planner.data import load_catalogue
from planner.demand import load_demand
from planner.errors import PlannerError

HEADER = ["考试日期", "类别", "报名人数", "参考人数", "合格人数"]
ROWS = [["2025-03-06", "电工作业", 200, 180, 162], ["2025-04-10", "焊接与热切割作业", 50, 45, 40],
        ["2025-05-08", "高处作业", 80, 70, 60]]
#: registrations per category of ROWS
WANT = {"electrical": 200, "welding": 50, "height": 80}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def base(cat):
    return load_demand(None, cat)


def xlsx(path, rows, merge=None, more=None):
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    if merge:
        wb.active.merge_cells(merge)
    if more:
        more(wb)
    wb.save(path)
    return path


def registered(demand) -> dict[str, int]:
    """Registrations per category of special operations, as the export gave them (the monthly profile holds them)."""
    return {c: int(sum(d.profile)) for c, d in demand.streams["special_ops"].categories.items()}


def imported(path, cat, base, plan=None):
    from planner.demand_import import import_registrations

    return import_registrations(path, cat, base, plan)


def test_a_title_above_the_header_and_a_totals_row_and_notes_below_are_not_sessions(tmp_path, cat, base):
    """The export as a planner saves it: a merged title, the unit line, the table with an empty row inside, a 合计
    row and a note under it. It used to be refused (no header in row 1); a 合计 row must never count as a session."""
    path = xlsx(tmp_path / "报名统计.xlsx", [["2025年特种作业考试报名统计"], ["填报单位：运城市应急管理局"], HEADER,
                                          ROWS[0], [], *ROWS[1:], ["合计", None, 330, 295, 262],
                                          ["注：数据来源于山西省特种作业考试系统"]], merge="A1:E1")
    assert registered(imported(path, cat, base)[0]) == WANT


def test_a_gbk_csv_with_a_title_and_a_totals_row_in_the_category_column(tmp_path, cat, base):
    text = ("2025年特种作业考试报名统计,,,,\r\n" + ",".join(HEADER) + "\r\n"
            + "".join(",".join(map(str, r)) + "\r\n" for r in ROWS) + ",,,,\r\n,合计,330,295,262\r\n总计,,330,295,262\r\n")
    path = tmp_path / "报名.csv"
    path.write_bytes(text.encode("gbk"))
    assert registered(imported(path, cat, base)[0]) == WANT


@pytest.mark.parametrize("header", [
    ["考试日期", "类别", "报名数", "实考人数", "通过人数"],
    ["考试日期", "操作项目", "报名人数", "参考人数", "合格人数"],
    ["考试日期", "准操项目", "报名人数", "参考人数", "合格人数"],
    ["考试日期", "作业类别", "报名人数（人）", "参考人数(人)", "合格人数（人）"],
    ["考试\n日期", "类别", "报名\n人数", "参考人数\u3000", "合格人数"],
    ["考试日期", "考试时间", "类别", "报名人数", "参考人数", "合格人数"],  # 考试时间 beside 考试日期: the sitting's time
])
def test_header_variants_as_exam_systems_and_planners_write_them(tmp_path, cat, base, header):
    rows = [r[:1] + ["09:00-11:00"] + r[1:] for r in ROWS] if "考试时间" in header else ROWS
    path = xlsx(tmp_path / "e.xlsx", [header, *rows])
    assert registered(imported(path, cat, base)[0]) == WANT


@pytest.mark.parametrize("cells", [
    ["2025-03-06", "电工作业", "200人", "180人", "162人"],
    ["2025-03-06", "电工作业", "200.0", "180.0", "162"],
    [45722, "电工作业", 200, 180, 162],  # a date cell whose format was cleared: Excel's serial for 2025-03-06
    ["20250306", "电工作业", 200, 180, 162],
    ["2025-03-06至2025-03-08", "电工作业", 200, 180, 162],
    ["2025-03-06", "冶金(有色)生产安全作业", 200, 180, 162],  # ASCII brackets for the catalogue's （）
])
def test_numbers_dates_and_names_as_typed_or_saved(tmp_path, cat, base, cells):
    path = xlsx(tmp_path / "e.xlsx", [HEADER, cells])
    demand = imported(path, cat, base)[0]
    code = "metallurgy" if "冶金" in cells[1] else "electrical"
    assert demand.streams["special_ops"].categories[code].profile[2] == 200  # March


def test_thousands_separators_typed_full_width(tmp_path, cat, base):
    path = xlsx(tmp_path / "e.xlsx", [HEADER, ["2025-03-06", "电工作业", "1，200", "1，080", "962"]])
    assert registered(imported(path, cat, base)[0]) == {"electrical": 1200}


def test_a_hidden_sheet_is_not_read_in_place_of_the_one_shown(tmp_path, cat, base):
    """Last year's figures on a hidden first sheet were imported silently instead of the visible table."""
    def sheets(wb):
        wb.active.title = "2024旧数据"
        wb.active.sheet_state = "hidden"
        shown = wb.create_sheet("2025报名")
        for r in [HEADER, *ROWS]:
            shown.append(r)
        wb.active = 1

    path = xlsx(tmp_path / "e.xlsx", [HEADER, ["2024-03-06", "电工作业", 999, 900, 800]], more=sheets)
    assert registered(imported(path, cat, base)[0]) == WANT


def test_the_table_behind_a_notes_sheet_is_found_and_a_hidden_one_is_named(tmp_path, cat, base):
    def notes_first(wb):
        wb.active.title = "说明"
        data = wb.create_sheet("数据")
        for r in [HEADER, *ROWS]:
            data.append(r)

    path = xlsx(tmp_path / "e.xlsx", [["本表由考试系统导出"]], more=notes_first)
    assert registered(imported(path, cat, base)[0]) == WANT

    def hidden(wb):
        wb.active.sheet_state = "hidden"
        wb.create_sheet("说明").append(["说明"])
        wb.active = 1

    path = xlsx(tmp_path / "h.xlsx", [HEADER, *ROWS], more=hidden)
    with pytest.raises(PlannerError, match="hidden sheet 'Sheet'"):
        imported(path, cat, base)


def test_a_category_and_an_operation_column_must_agree(tmp_path, cat, base):
    head = ["序号", "考试期次", "考试日期", "作业类别", "操作项目", "报名人数", "实考人数", "合格人数", "合格率"]
    rows = [[1, "第1期", dt.datetime(2025, 3, 6), "电工作业", "低压电工作业", "120", "110", "100", "90.9%"],
            [2, "第1期", dt.datetime(2025, 3, 6), None, "高压电工作业", "80", "70", "62", "88.6%"],
            [None, "合计", None, None, None, 200, 180, 162, None]]
    path = xlsx(tmp_path / "e.xlsx", [["2025年特种作业考试报名统计表"], head, *rows], merge="A1:I1")
    assert registered(imported(path, cat, base)[0]) == {"electrical": 200}
    rows[1][3] = "焊接与热切割作业"
    path = xlsx(tmp_path / "bad.xlsx", [head, *rows])
    with pytest.raises(PlannerError) as err:
        imported(path, cat, base)
    assert (err.value.row, err.value.field) == (3, "操作项目")


@pytest.mark.parametrize("encoding, sep", [("utf-16", "\t"), ("utf-8-sig", ";"), ("utf-8", "\t")])
def test_unicode_text_and_semicolon_csv(tmp_path, cat, base, encoding, sep):
    """Excel's "Unicode 文本" is UTF-16 and tab-separated; a system list separator of ';' gives ';' CSV."""
    text = "\r\n".join(sep.join(map(str, r)) for r in [HEADER, *ROWS]) + "\r\n"
    path = tmp_path / "e.csv"
    path.write_bytes(text.encode(encoding))
    assert registered(imported(path, cat, base)[0]) == WANT


def test_a_row_pasted_twice_is_said(tmp_path, cat, base):
    path = xlsx(tmp_path / "e.xlsx", [HEADER, *ROWS, ROWS[0]])
    demand, notes = imported(path, cat, base)
    assert registered(demand)["electrical"] == 400
    assert any("row 5 repeats row 2" in n for n in notes), notes


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name, data", [
    ("报名.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600),  # Excel 97-2003
    ("报名.et", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600),  # WPS 表格
    ("报名.xls", "<html><table><tr><td>考试日期</td></tr></table></html>".encode()),  # an exam system's "Excel"
    ("报名.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600),  # an .xlsx with a password is such a file
], ids=["xls", "et", "html-xls", "password-xlsx"])
def test_an_old_or_protected_workbook_is_refused_saying_save_as_xlsx(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "d.toml"
    r = run_cli("demand", "import", str(path), "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    assert name in r.stderr and "save it as .xlsx" in r.stderr, r.stderr
    assert not out.exists()


def test_the_replan_s_registrations_read_an_export_with_a_title(tmp_path, plan2024, catalogue):
    from planner.replan import read_people

    path = xlsx(tmp_path / "e.xlsx", [["2024年报名统计"], ["期次", "类别", "报名人数"], ["第1期", "电工作业", 30],
                                      ["第1期", "焊接与热切割作业", 12], ["合计", None, 42]])
    assert read_people(path, plan2024, catalogue) == {("special_ops", 1): 42}


def test_the_workbench_imports_the_export_as_saved_in_excel(tmp_path, cat):
    """导入报名数据 reads what the command line reads: a title, a 合计 row, a hidden stale sheet."""
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from planner.web import demands as D
    from planner.web.app import create_app

    def sheets(wb):
        wb.active.sheet_state = "hidden"
        shown = wb.create_sheet("2025报名")
        for r in [["2025年特种作业考试报名统计"], HEADER, *ROWS, ["合计", None, 330, 295, 262]]:
            shown.append(r)
        wb.active = 1

    buf = io.BytesIO()
    xlsx(buf, [HEADER, ["2024-03-06", "电工作业", 999, 900, 800]], more=sheets)
    app = create_app(tmp_path / "ws", documents=False, warm=False)
    with TestClient(app) as client:
        r = client.post("/demand/import", data={"csrf": app.state.csrf}, follow_redirects=False,
                        files={"export": ("2025年报名.xlsx", buf.getvalue(), "application/octet-stream")})
        assert r.status_code == 303, r.text
        saved = D.load(app.state.ws, D.numbers(app.state.ws)[-1], cat)
    assert registered(saved) == WANT


def test_the_workbench_takes_unicode_text_names_repeated_rows_and_says_hidden_sheets_in_chinese(tmp_path, cat):
    """The workbench reads what the command line reads and says what it noticed: a UTF-16 "Unicode 文本" export
    (refused before as "not a text CSV" for its NUL bytes), a row pasted twice (kept in the version's note, in
    Chinese), a table left on a hidden sheet (refused in Chinese, saying to unhide it)."""
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from planner.web import demands as D
    from planner.web.app import create_app

    text = "\r\n".join("\t".join(map(str, r)) for r in [HEADER, *ROWS, ROWS[0]]) + "\r\n"
    hidden = io.BytesIO()

    def hide(wb):
        wb.active.sheet_state = "hidden"
        wb.create_sheet("说明").append(["本表由考试系统导出"])
        wb.active = 1

    xlsx(hidden, [HEADER, *ROWS], more=hide)
    app = create_app(tmp_path / "ws", documents=False, warm=False)
    with TestClient(app) as client:
        r = client.post("/demand/import", data={"csrf": app.state.csrf}, follow_redirects=False,
                        files={"export": ("报名.csv", text.encode("utf-16"), "text/csv")})
        assert r.status_code == 303, r.text
        n = D.numbers(app.state.ws)[-1]
        saved = D.load(app.state.ws, n, cat)
        page = client.get(f"/demand?d={n}").text
        r = client.post("/demand/import", data={"csrf": app.state.csrf}, follow_redirects=False,
                        files={"export": ("隐藏.xlsx", hidden.getvalue(), "application/octet-stream")})
    assert registered(saved) == {**WANT, "electrical": 400}  # counted twice, as the command line counts it
    assert "第5行与第2行完全相同，两行都已计入" in page
    assert r.status_code == 400 and "取消隐藏" in r.text and D.numbers(app.state.ws)[-1] == n


def test_the_workbench_tells_an_old_workbook_to_be_saved_as_xlsx(tmp_path):
    """An .xls or .et upload is refused before it is read, saying what to do (it said only "CSV or .xlsx")."""
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from planner.web.app import create_app

    app = create_app(tmp_path / "ws", documents=False, warm=False)
    with TestClient(app) as client:
        for name in ("报名.xls", "报名.et"):
            r = client.post("/demand/import", data={"csrf": app.state.csrf},
                            files={"export": (name, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "application/octet-stream")})
            assert r.status_code == 400 and "另存为”Excel 工作簿（.xlsx）" in r.text


@pytest.mark.parametrize("header,row,field", [
    # the column as the file writes it, not the first of its names in demand_import.COLUMNS
    (["考试日期", "作业类别", "报名人数", "参考人数", "合格人数"], ["2025-03-06", "烟花作业", 10, 9, 8], "作业类别"),
    (["考试时间", "类别", "报名人数（人）", "参考人数", "合格人数"], ["2025-03-06", "电工作业", "很多", 9, 8],
     "报名人数（人）"),
    (["考试时间", "类别", "报名数", "实考人数", "合格人数"], ["2025-03-06", "电工作业", 10, 12, 8], "实考人数"),
    (["考试时间", "类别", "报名数", "实考人数", "通过人数"], ["2025-03-06", "电工作业", 10, 9, 10], "通过人数"),
    (["考试时间", "类别", "报名人数", "参考人数", "合格人数"], ["3月6日", "电工作业", 10, 9, 8], "考试时间"),
    (["考试日期", "操作项目", "报名人数", "参考人数", "合格人数"], ["2025-03-06", "烟花作业", 10, 9, 8], "操作项目"),
    (["考试日期", "作业类别", "准操项目", "报名人数", "参考人数", "合格人数"],
     ["2025-03-06", "电工作业", "熔化焊接与热切割作业", 10, 9, 8], "准操项目"),
])
def test_a_refusal_names_the_column_as_the_file_heads_it(tmp_path, cat, base, header, row, field):
    """The planner looks for the column the message names: 作业类别 in their file, not 类别."""
    path = xlsx(tmp_path / "报名.xlsx", [header, row])
    with pytest.raises(PlannerError) as err:
        imported(path, cat, base)
    assert (err.value.row, err.value.field) == (2, field)


def test_the_replan_s_registrations_name_the_file_s_own_column(tmp_path, plan2024, catalogue):
    from planner.demand_import import registrations_by_session

    path = xlsx(tmp_path / "报名.xlsx", [["考试期次", "作业类别", "报名数"], [1, "电工作业", "十个"]])
    with pytest.raises(PlannerError) as err:
        registrations_by_session(path, catalogue, plan2024)
    assert (err.value.row, err.value.field) == (2, "报名数")


def test_an_export_of_a_stream_the_base_file_lacks_is_refused_naming_it(tmp_path, cat, base):
    """How often candidates become ready and how soon a failed one returns come from the base demand file: a stream
    it does not have is refused (they used to be 7 and 30 days from the code)."""
    from dataclasses import replace
    from types import MappingProxyType

    only_managers = replace(base, streams=MappingProxyType({"managers": base.streams["managers"]}))
    path = xlsx(tmp_path / "报名.xlsx", [HEADER, *ROWS])
    with pytest.raises(PlannerError, match="does not have: add \\[streams.special_ops\\]") as err:
        imported(path, cat, only_managers)
    assert err.value.field == "考试计划"


def test_a_demand_file_states_its_streams_facts():
    """arrival_every_days and retake_lag_days have no code default: a stream without them is refused, naming the key."""
    from planner.demand import demand_from_dict

    cat = load_catalogue()
    doc = {"streams": {"managers": {"arrival_every_days": 7, "categories": {"managers": {"first_time": 10}}}},
           "sites": {"huaan": {"seats_per_day": 10}}}
    with pytest.raises(PlannerError) as err:
        demand_from_dict(doc, "d.toml", cat)
    assert err.value.field == "streams.managers.retake_lag_days"
    doc["streams"]["managers"]["retake_lag_days"] = 30
    del doc["streams"]["managers"]["arrival_every_days"]
    with pytest.raises(PlannerError) as err:
        demand_from_dict(doc, "d.toml", cat)
    assert err.value.field == "streams.managers.arrival_every_days"


def test_the_replan_s_registrations_say_a_row_pasted_twice(tmp_path, plan2024, catalogue):
    """Counted twice, as the import counts it, and said: the re-plan's disturbance rests on these figures."""
    from planner.replan import read_people

    path = xlsx(tmp_path / "e.xlsx", [["期次", "类别", "报名人数"], ["第1期", "电工作业", 30], ["第1期", "电工作业", 30]])
    notes: list[str] = []
    assert read_people(path, plan2024, catalogue, notes) == {("special_ops", 1): 60}
    assert len(notes) == 1 and "row 3 repeats row 2" in notes[0]


def test_a_header_named_in_a_refusal_carries_no_control_character():
    """The column as the file heads it goes into a message line: without white space or a control character (the
    readers drop most of them before; this holds for any cell)."""
    from planner.demand_import import Columns

    cols = Columns({"registered": 0, "sat": 1}, ["报名\x1b[31m人数", "参考\u200b人 数\x00"])
    assert cols.field("registered") == "报名[31m人数" and cols.field("sat") == "参考人数"
    assert cols.field("passed") == "合格人数"  # a column the file lacks: its first name
