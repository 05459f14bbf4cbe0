"""notice.xlsx: the notice's sheets, headers, date wording, footnotes, print set-up, and reading it back."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pytest
from openpyxl import Workbook, load_workbook

from planner.cli import main
from planner.errors import PlannerError
from planner.planio import read_plan
from planner.publish import wording as W
from planner.publish.xlsx import notice_xlsx_bytes, read_notice_xlsx
from test_publish_support import with_on_demand


@pytest.fixture(scope="module")
def xlsx_bytes(plan2024, ctx2024) -> bytes:
    return notice_xlsx_bytes(plan2024, ctx2024)


@pytest.fixture(scope="module")
def wb(xlsx_bytes):
    return load_workbook(io.BytesIO(xlsx_bytes))


def rows_by_no(ws) -> dict[int, list]:
    """期次 -> row values (columns A-F) of a plan sheet."""
    return {r[0]: list(r[:6]) for r in ws.iter_rows(values_only=True) if isinstance(r[0], int)}


def all_text(ws) -> str:
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def test_sheets_titles_and_headers(wb):
    assert wb.sheetnames == ["附件1", "附件2", "附件3", "附件4", "_planner"]
    assert wb["_planner"].sheet_state == "hidden"
    assert [wb[s].sheet_state for s in wb.sheetnames[:4]] == ["visible"] * 4
    col_a = [c.value for c in wb["附件2"]["A"]]
    assert col_a[:3] == ["附件2", "运城市2024年高危行业主要负责人和安全管理员考试计划表", "期次"]
    assert [c.value for c in wb["附件2"][3]][:6] == list(W.PLAN_HEADERS)
    assert wb["附件3"]["A2"].value == "运城市2024年特种作业人员考试计划表"
    assert [c.value for c in wb["附件4"][3]] == list(W.DIRECTORY_HEADERS)


def test_rows_and_date_wording(wb):
    mgr = rows_by_no(wb["附件2"])
    assert len(mgr) == 11
    assert mgr[1] == [1, "3月1日前", "3月6日", "高危行业主要负责人、安管员", "运城华安应急安全服务有限公司", None]
    assert mgr[11][1:3] == ["2025年1月2日前", "2025年1月7日"]
    ops = rows_by_no(wb["附件3"])
    assert len(ops) == 48
    assert ops[1][1:5] == ["2月22日前", "2月26日", "特种作业人员复训", "运城华安应急安全服务有限公司"]
    assert ops[46][1:3] == ["12月30日前", "2025年1月3日"]
    # the notice names the year once, where a column crosses into the next year
    assert ops[47][1:3] == ["2025年1月4日前", "1月9日"]
    assert ops[48][1:3] == ["1月12日前", "1月17日"]


def test_footnotes_and_directory(wb):
    mgr, ops = all_text(wb["附件2"]), all_text(wb["附件3"])
    for text in (mgr, ops):
        assert "考试报名时间截止到当天中午12点" in text
        assert "确因工作需要可酌情调整" in text
    assert "3、考试点详细地址：\n运城市华安应急安全服务有限公司地址：盐湖区凤凰谷南山湖畔" in mgr
    assert "4、各考试点详细地址：\n①" in ops and ops.count("有限公司地址：") + ops.count("中心地址：") + ops.count("大学地址：") == 7
    assert "1、因丰喜临猗分公司培训中心、运城职业技术大学、永济电机培训中心每年的培训体量较小" in ops
    directory = [r for r in wb["附件4"].iter_rows(min_row=4, values_only=True)]
    assert [r[0] for r in directory] == list(range(1, 8))
    assert directory[0][4] == "0359-2666288\n0359-8597788"
    assert directory[0][2].startswith("高危行业主要负责人、安全管理员，电工作业（低压电工作业、高压电工作业）")
    materials = all_text(wb["附件1"])
    assert "考试报名需提供的材料" in materials and "1、个人考试申请表；" in materials


def test_print_setup_and_layout(wb):
    for name in ("附件1", "附件2", "附件3", "附件4"):
        ws = wb[name]
        assert int(ws.page_setup.paperSize) == 9  # A4
        # fitted to the page width, or printed at a computed scale so the placed page breaks hold
        assert ws.sheet_properties.pageSetUpPr.fitToPage or 30 <= ws.page_setup.scale <= 100
        assert ws.print_area
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert "运城市2024年" in ws.oddHeader.center.text
    assert wb["附件4"].page_setup.orientation == "landscape"
    assert wb["附件3"].page_setup.orientation == "portrait"
    assert wb["附件3"].print_title_rows == "$3:$3"  # header repeats on each printed page
    assert all(not d.hidden for d in wb["附件3"].column_dimensions.values())  # no hidden columns
    assert wb["附件3"].max_column == 6
    assert wb["附件3"]["B4"].alignment.wrap_text and wb["附件3"]["B4"].border.left.style == "thin"
    assert wb["附件3"].column_dimensions["E"].width >= 30
    # dated the day it is published (the 成文日期), never later: issue 19
    from planner.publish.letterhead import publish_day

    assert wb.properties.created.date() <= publish_day() and wb.properties.created == wb.properties.modified
    assert wb.properties.creator == "运城市应急管理局"


def test_round_trip_identical(published, plan2024, catalogue):
    out, _ = published
    back = read_plan(out / "notice.xlsx", catalogue)
    assert back.year == plan2024.year and back.sessions == plan2024.sessions


@pytest.mark.parametrize("note", ["上午 9:00 开考 请带 身份证", "  请带身份证原件  ", "=1+1", "第一行\n第二行", "全角\u3000空格"])
def test_round_trip_keeps_a_note_as_written(tmp_path, plan2024, ctx2024, catalogue, note):
    """备注 is the planner's free text: read back from notice.xlsx it keeps its inner spaces and line breaks (only
    the blanks around it go), where the other cells lose their spaces for matching."""
    plan = plan2024.with_sessions([replace(s, notes=note) if s.key == ("special_ops", 30) else s
                                   for s in plan2024.sessions])
    (tmp_path / "n.xlsx").write_bytes(notice_xlsx_bytes(plan, ctx2024))
    back = read_notice_xlsx(tmp_path / "n.xlsx", catalogue)
    assert back.by_key()[("special_ops", 30)].notes == note.strip()
    assert back.sessions == plan.with_sessions([replace(s, notes=s.notes.strip()) for s in plan.sessions]).sessions


def test_round_trip_on_demand_sub_table(tmp_path, plan2024, ctx2024, catalogue):
    plan = with_on_demand(plan2024, catalogue)
    data = notice_xlsx_bytes(plan, ctx2024)
    ws = load_workbook(io.BytesIO(data))["附件3"]
    assert catalogue.streams["on_demand"].name in all_text(ws)
    (tmp_path / "n.xlsx").write_bytes(data)
    assert read_notice_xlsx(tmp_path / "n.xlsx", catalogue).sessions == plan.sessions


def test_edited_cell_and_missing_hidden_parts(tmp_path, xlsx_bytes, plan2024, catalogue):
    """A planner edits a date in Excel and a copy lost the hidden sheet/column: the visible text still rules."""
    wb = load_workbook(io.BytesIO(xlsx_bytes))
    ws = wb["附件2"]
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == 2)
    row[2].value = "4月9日"
    ws.delete_cols(7)
    del wb["_planner"]
    wb.save(tmp_path / "edited.xlsx")
    back = read_notice_xlsx(tmp_path / "edited.xlsx", catalogue)
    assert back.year == 2024
    changed = back.by_key()[("managers", 2)]
    assert changed.exam_date == dt.date(2024, 4, 9)
    assert back.sessions == plan2024.with_sessions(
        [replace(s, exam_date=dt.date(2024, 4, 9)) if s.key == ("managers", 2) else s
         for s in plan2024.sessions]).sessions


@pytest.mark.parametrize("damage", ["text year", "no year row", "garbage rows"])
def test_damaged_hidden_sheet_ignored_with_a_note(tmp_path, xlsx_bytes, plan2024, catalogue, capsys, damage):
    """An edit that broke the hidden _planner sheet: a note on stderr, the visible tables read (year from the title)."""
    wb = load_workbook(io.BytesIO(xlsx_bytes))
    meta = wb["_planner"]
    if damage == "text year":
        meta["B2"] = "二〇二四"
    elif damage == "no year row":
        meta.delete_rows(2)
    else:
        meta.delete_rows(1, 2)
        meta.append([None, None, None])
        meta.append(["x"])
    wb.save(tmp_path / "damaged.xlsx")
    back = read_notice_xlsx(tmp_path / "damaged.xlsx", catalogue)
    assert back.sessions == plan2024.sessions
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hidden sheet '_planner' is damaged; ignored it" in err


def test_sub_table_heading_names_the_stream_without_hidden_columns(tmp_path, plan2024, ctx2024, catalogue):
    """The on-demand sessions are told apart by their sub-table's heading alone (no hidden stream column)."""
    plan = with_on_demand(plan2024, catalogue)
    wb = load_workbook(io.BytesIO(notice_xlsx_bytes(plan, ctx2024)))
    assert wb["附件3"].max_column == 6
    del wb["_planner"]
    wb.save(tmp_path / "n.xlsx")
    back = read_notice_xlsx(tmp_path / "n.xlsx", catalogue)
    assert [s.key for s in back.stream("on_demand")] == [("on_demand", 1), ("on_demand", 2)]


def test_other_layouts_are_one_clear_error(tmp_path, catalogue, capsys):
    other = Workbook()
    other.active.append(["name", "date"])
    other.save(tmp_path / "other.xlsx")
    with pytest.raises(PlannerError, match="not a notice.xlsx in the published layout: no sheet '附件2'"):
        read_notice_xlsx(tmp_path / "other.xlsx", catalogue)
    (tmp_path / "fake.xlsx").write_text("stream,no\n")
    with pytest.raises(PlannerError, match="not a readable .xlsx workbook"):
        read_notice_xlsx(tmp_path / "fake.xlsx", catalogue)
    assert main(["check", str(tmp_path / "other.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "other.xlsx" in err


def test_bad_cells_name_sheet_row_and_column(tmp_path, xlsx_bytes, catalogue):
    wb = load_workbook(io.BytesIO(xlsx_bytes))
    wb["附件3"]["E5"].value = "某某培训中心"
    wb["附件2"]["C6"].value = "下周三"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(PlannerError) as err:
        read_notice_xlsx(tmp_path / "bad.xlsx", catalogue)
    assert "[附件2]" in str(err.value) and "row 6" in str(err.value) and "考试时间" in str(err.value)
    wb["附件2"]["C6"].value = "4月8日"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(PlannerError, match=r"\[附件3\], row 5, field '考试地点': unknown 考试地点 '某某培训中心'"):
        read_notice_xlsx(tmp_path / "bad.xlsx", catalogue)


def test_day_text_round_trip():
    for d in (dt.date(2024, 3, 6), dt.date(2025, 1, 2), dt.date(2023, 12, 30)):
        assert W.parse_day_text(W.deadline_text(d, 2024), 2024) == (d, True)
        assert W.parse_day_text(W.day_text(d, 2024), 2024) == (d, False)
    assert W.day_text(dt.date(2025, 1, 3), 2024) == "2025年1月3日"
    with pytest.raises(ValueError):
        W.parse_day_text("13号", 2024)


def test_every_sheet_prints_at_three_quarters_or_more(solved):
    """No sheet is shrunk below 75 % (issue 19: 附件3 on one page at 53 % was about 6 pt type): a long table
    flows over pages, its header row repeated."""
    from planner.publish.xlsx import MIN_PRINT

    for year in (2025, 2027):
        wb = load_workbook(io.BytesIO(notice_xlsx_bytes(*solved(year))))
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            if ws.page_setup.scale is not None:
                assert ws.page_setup.scale >= 100 * MIN_PRINT, (year, ws.title)
                assert ws.print_title_rows, (year, ws.title)
            else:  # fitted to the page width: a one-column text sheet that is narrower than the page
                assert ws.title == "附件1"
        assert len(wb["附件3"].row_breaks.brk) >= 1  # 48 sessions flow over pages


def test_footnote_rows_hold_every_line_when_printed(xlsx_bytes):
    """A footnote row is 16 pt for each line it holds (at 15 pt LibreOffice printed 7 of the 8 lines of 附件3's
    addresses: checked in its PDF), never less than its explicit line breaks need."""
    wb = load_workbook(io.BytesIO(xlsx_bytes))
    ws = wb["附件3"]
    notes = [r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "")[:2] in ("1、", "2、", "3、", "4、")]
    assert len(notes) >= 4
    for r in notes:
        lines = str(ws.cell(r, 1).value).count("\n") + 1
        assert ws.row_dimensions[r].height >= 16 * lines, (r, lines, ws.row_dimensions[r].height)
