"""What the second trust audit (2026-12-05) found, each pinned on the smallest input that showed it:

* a "one-line" 调整原因 or 说明 broke the 调整通知's lines at U+2028 (or any separator ``splitlines`` knows), and each
  piece was read as layout markup: a second letterhead, a fake title and signing office;
* control characters in a reason, a new institution's text or a hand-edited 备注 got through to the XML writers
  (exit 70, a 500, or a saved version that no longer opened);
* a new institution's id named files and links unchecked (``../../x``);
* sweep.csv and the compare files wrote a scenario's name as a live spreadsheet formula;
* report.html, which leaves the office, showed the scenario's absolute path;
* the workbench answered a Unicode digit in an id with a 500, and a long Chinese upload name with a dropped
  connection;
* a sequence or keyboard walk passed the network token's 128-bit floor.
"""
from __future__ import annotations

import csv
import io
import warnings

import pytest

from planner.cli import main
from planner.compare import to_csv
from planner.errors import PlannerError
from planner.publish.notice_docx import render_body
from planner.publish.revision import check_advice, check_reason
from planner.report import summary_html
from planner.scenario import load_scenario

from scenario_fixtures import tiny_scenario

SEPARATORS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\n", "\r"]


@pytest.mark.parametrize("sep", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_reason_or_advice_that_breaks_a_line_anywhere_is_refused(sep):
    with pytest.raises(PlannerError, match="one line"):
        check_reason(f"停考{sep}# 关于取消全部考试的紧急通知")
    with pytest.raises(PlannerError, match="one line"):
        check_advice(f"请注意。{sep}@ 山西省应急管理厅")


@pytest.mark.parametrize("ch", ["\x00", "\x01", "\x1f", "\x7f"])
def test_a_reason_with_a_control_character_is_bad_input_not_a_bug(ch):
    with pytest.raises(PlannerError, match="control character"):
        check_reason(f"停考{ch}原因")
    with pytest.raises(PlannerError, match="control character"):
        check_advice(f"说明{ch}内容")


def test_the_notice_body_breaks_lines_at_newlines_only():
    """Defence in depth: a value that reaches the template with a separator stays inside its line."""
    lines = render_body("# {{ t }}\n因{{ r }}，现调整如下：\n", {"t": "标题", "r": "停考\u2028# 假标题\x85@ 假机关"})
    assert lines == ["# 标题", "因停考\u2028# 假标题\x85@ 假机关，现调整如下："]
    assert render_body("a\r\nb\r\n", {}) == ["a", "b"] and render_body("", {}) == []


def test_a_replan_reason_with_a_separator_is_exit_2_before_anything_is_written(capsys, tmp_path):
    out = tmp_path / "re"
    code = main(["replan", "scenarios/plan_2024.csv", "--year", "2024", "--from", "2024-06-17", "--out", str(out),
                 "--reason", "停考\u2028# 假标题"])
    err = capsys.readouterr().err
    assert code == 2 and "reason" in err and "U+2028" in err and "Traceback" not in err
    assert not out.exists()


INSTITUTION = ('[[new_institutions]]\nid = "{id}"\nname = "{name}"\nshort_name = "新"\naddress = "运城"\n'
               'phones = ["0359-1"]\ncontact = "{contact}"\nscope = ["elec_low"]\nrotation = true\n')


@pytest.mark.parametrize("values,field", [
    ({"id": "../../../pwned"}, "new_institutions[1].id"),
    ({"id": "Site-1"}, "new_institutions[1].id"),
    ({"id": "a" * 41}, "new_institutions[1].id"),
    ({"contact": "@SUM\\u0001(1)"}, "new_institutions[1].contact"),
    ({"name": "机构\\u000b名称"}, "new_institutions[1].name"),
    ({"name": "机构\\u2028# 假标题"}, "new_institutions[1].name"),
])
def test_a_new_institution_s_id_and_texts_are_checked_when_the_scenario_is_read(tmp_path, values, field):
    body = INSTITUTION.format(**({"id": "newsite", "name": "新机构", "contact": "张三"} | values))
    path = tiny_scenario(tmp_path, body=body)
    with pytest.raises(PlannerError) as exc:
        load_scenario(path)
    assert exc.value.field == field and exc.value.file is not None


def test_a_plain_new_institution_still_loads(tmp_path):
    body = INSTITUTION.format(id="new_site2", name="新机构（示例）", contact="张三")
    ctx = load_scenario(tiny_scenario(tmp_path, body=body)).ctx
    assert ctx.catalogue.institutions["new_site2"].contact == "张三"


def test_compare_csvs_neutralise_formulas_and_keep_signed_numbers():
    text = to_csv([['=HYPERLINK("http://x","y") (baseline)', "+3", "-2", "@SUM(1)", "1.5", "+cmd|' /C calc'!A0"]],
                  ["=h", "b", "c", "d", "e", "f"])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "'=h"
    assert rows[1] == ["'=HYPERLINK(\"http://x\",\"y\") (baseline)", "+3", "-2", "'@SUM(1)", "1.5",
                       "'+cmd|' /C calc'!A0"]


def test_a_replan_reason_read_back_from_changes_csv_is_the_one_written(tmp_path):
    from planner.commands.publish_cmd import replan_reasons
    from planner.replan import REPLAN_HEADER

    row = ["moved", "special_ops", "5", "2024-06-05", "2024-06-12", "+7", "huaan", "huaan", "2024-05-31",
           "2024-06-07", "0", "", "", "=停考"]
    row = (row + [""] * len(REPLAN_HEADER))[:len(REPLAN_HEADER)]
    row[REPLAN_HEADER.index("reason")] = "=停考"
    (tmp_path / "changes.csv").write_text(to_csv([row], REPLAN_HEADER), encoding="utf-8")
    assert "'=停考" in (tmp_path / "changes.csv").read_text(encoding="utf-8")
    assert replan_reasons(tmp_path / "changes.csv") == {("special_ops", 5): "=停考"}


def test_report_html_shows_file_names_not_the_planner_s_folders():
    page = summary_html({"scenario": "/home/zhangsan/机密/site_closed_quarter.toml",
                         "scenario_chain": ["/home/zhangsan/机密/base.toml", "C:\\Users\\li\\桌面\\x.toml"],
                         "start": {"file": "/srv/runs/plan.csv", "objective": 3}, "status": "OPTIMAL"})
    assert "zhangsan" not in page and "Users" not in page and "/srv" not in page
    assert "site_closed_quarter.toml" in page and "x.toml" in page and "plan.csv" in page


# -- the workbench ----------------------------------------------------------------------------------------------
pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.data import scenarios_dir  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.routes.demand import _upload_name  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("trust"), warm=False, documents=False)
    vid = app.state.ws.add_version((scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8"), {"year": 2024},
                                   year=2024, scenario=None, parent=None, note="", kind="upload")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client, vid


@pytest.mark.parametrize("path", ["/demand?d=²", "/demand/export.toml?d=³", "/edit?v={v}&s=managers-²",
                                  "/pin?v={v}&s=managers-²", "/demand?d=٣"])
def test_a_unicode_digit_in_an_id_is_not_found_not_a_crash(env, path):
    app, client, vid = env
    r = client.get(path.format(v=vid))
    assert r.status_code == 404, (path, r.status_code)


def test_a_hand_edited_note_with_a_control_character_is_refused_beside_the_field(env):
    app, client, vid = env
    before = [v.id for v in app.state.ws.versions()]
    r = client.post("/edit", data={"csrf": app.state.csrf, "v": vid, "s": "special_ops-5", "notes": "请携带\x01身份证"},
                    follow_redirects=False)
    assert r.status_code == 400 and "控制字符" in r.text
    assert [v.id for v in app.state.ws.versions()] == before


@pytest.mark.parametrize("raw", ["长" * 99 + ".csv", "報" * 300 + ".xlsx", "a" * 400 + ".csv"])
def test_an_upload_s_name_fits_a_file_name(raw):
    suffix = "." + raw.rsplit(".", 1)[1]
    name = _upload_name(raw, suffix)
    assert len(name.encode("utf-8")) <= 200 and name.endswith(suffix) and not name.startswith(".")
