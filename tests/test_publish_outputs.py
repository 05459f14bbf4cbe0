"""The rest of the publication set: BOM CSVs, ICS (parsed back), plan.json, determinism, bad input."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

from icalendar import Calendar

from planner.cli import main
from planner.publish import tables as T
from planner.publish.ics import ics_files
from planner.publish.run import build_outputs
from test_publish_support import moved

from conftest import mutate


def events(data: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(data).walk("VEVENT")}


def test_files_written(published):
    out, written = published
    names = {p.relative_to(out).as_posix() for p in written}
    assert {"notice.xlsx", "plan.ics", "plan.json", "report.html", "csv/annex2_managers.csv",
            "csv/annex3_special_ops.csv", "csv/annex4_institutions.csv", "csv/annex1_materials.csv",
            "csv/training_plan_uploads.csv", "ics/juteng.ics", "charts/calendar.svg", "notice.docx"} <= names
    assert not [n for n in names if n.endswith(".png")]  # charts rendered once, as SVG
    assert not [p for p in out.rglob("*.tmp")]


def test_csv_has_bom_and_notice_wording(published):
    out, _ = published
    for f in (out / "csv").glob("*.csv"):
        assert f.read_bytes().startswith(b"\xef\xbb\xbf"), f
    rows = list(csv.reader(io.StringIO((out / "csv/annex3_special_ops.csv").read_text("utf-8-sig"))))
    assert rows[0] == ["期次", "报名时间", "考试时间", "考试类别", "考试地点", "备注"]
    assert len(rows) == 49 and rows[46][:3] == ["46", "12月30日前", "2025年1月3日"]
    uploads = list(csv.reader(io.StringIO((out / "csv/training_plan_uploads.csv").read_text("utf-8-sig"))))
    assert uploads[1][1:] == ["1", "运城华安应急安全服务有限公司", "3月1日前", "3月6日", "2月28日", "1月28日"]


def test_plan_ics_events(published, plan2024):
    out, _ = published
    evs = events((out / "plan.ics").read_bytes())
    assert len(evs) == 2 * len(plan2024.sessions)
    exam = evs["2024-managers-1-exam@planner.yuncheng-exams"]
    assert exam.decoded("DTSTART") == dt.date(2024, 3, 6)
    assert "盐湖区凤凰谷南山湖畔" in str(exam["LOCATION"]) and "高危行业主要负责人、安管员" in str(exam["DESCRIPTION"])
    deadline = evs["2024-special_ops-47-deadline@planner.yuncheng-exams"].decoded("DTSTART")
    assert deadline == dt.datetime(2025, 1, 4, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert {int(e["SEQUENCE"]) for e in evs.values()} == {0}


def test_institution_ics_has_upload_dates(published, plan2024):
    out, _ = published
    n = len([s for s in plan2024.sessions if s.institution == "juteng"])
    evs = events((out / "ics/juteng.ics").read_bytes())
    assert len(evs) == 3 * n
    upload = evs["2024-special_ops-2-upload@planner.yuncheng-exams"]
    assert upload.decoded("DTSTART") == dt.date(2024, 1, 20)  # exam 2-27, class opens 2-20, one month before
    assert not (out / "ics/fengxi.ics").exists()  # an on-demand site without sessions gets no empty calendar


def test_stable_uids_and_sequence_across_revisions(plan2024, ctx2024):
    first = ics_files(plan2024, ctx2024)
    changed = moved(plan2024, ("special_ops", 5), 1).with_sessions(
        [s for s in moved(plan2024, ("special_ops", 5), 1).sessions if s.key != ("managers", 11)])
    second = ics_files(changed, ctx2024, previous=first)
    a, b = events(first["plan.ics"]), events(second["plan.ics"])
    assert set(a) == set(b)  # the dropped session stays, cancelled
    ev = b["2024-special_ops-5-exam@planner.yuncheng-exams"]
    assert int(ev["SEQUENCE"]) == 1 and ev.decoded("DTSTART") == dt.date(2024, 3, 9)
    assert ev.decoded("DTSTAMP") > a["2024-special_ops-5-exam@planner.yuncheng-exams"].decoded("DTSTAMP")
    assert int(b["2024-special_ops-6-exam@planner.yuncheng-exams"]["SEQUENCE"]) == 0
    gone = b["2024-managers-11-exam@planner.yuncheng-exams"]
    assert str(gone["STATUS"]) == "CANCELLED" and int(gone["SEQUENCE"]) == 1
    assert ics_files(changed, ctx2024, previous=second) == second  # republishing changes nothing


def test_plan_json(published, plan2024):
    out, _ = published
    doc = json.loads((out / "plan.json").read_text("utf-8"))
    assert doc["year"] == 2024 and doc["check"]["ok"] and doc["watermark"] is None
    assert len(doc["sessions"]) == len(plan2024.sessions)
    s = doc["sessions"][0]
    assert s["registration_closes"] == "2024-03-01T12:00:00+08:00" and s["training_plan_upload_by"] == "2024-01-28"


def test_upload_date_month_arithmetic(plan2024):
    assert T.minus_month(dt.date(2024, 3, 31)) == dt.date(2024, 2, 29)
    assert T.minus_month(dt.date(2024, 1, 15)) == dt.date(2023, 12, 15)
    s = plan2024.sessions[0]
    assert T.upload_by(s, 14) == T.minus_month(s.exam_date - dt.timedelta(days=14))


def test_deterministic_bytes(published, plan2024, ctx2024):
    out, written = published
    again = build_outputs(plan2024, ctx2024, charts=False)
    for rel, data in again.items():
        if rel != "report.html":  # the report embeds charts; compared in test_report
            assert (out / rel).read_bytes() == data, rel


def test_cli_publish_and_unwritable_folder(tmp_path, capsys):
    plan = tmp_path / "plan.csv"
    from planner.data import scenarios_dir

    plan.write_bytes((scenarios_dir() / "plan_2024.csv").read_bytes())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["publish", str(plan), "--out", str(blocker), "--no-charts"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a folder" in err


def test_failing_plan_refused_then_marked(tmp_path, plan2024, catalogue, capsys):
    from planner.plan import write_plan

    bad = mutate(plan2024, ("special_ops", 5), exam_date=dt.date(2024, 3, 9))  # a Saturday
    write_plan(bad, tmp_path / "bad.csv")
    out = tmp_path / "out"
    assert main(["publish", str(tmp_path / "bad.csv"), "--out", str(out), "--no-charts"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--allow-violations" in err
    assert not out.exists() and not list(tmp_path.glob(".out.*"))  # nothing written, no temporaries
    assert main(["publish", str(tmp_path / "bad.csv"), "--out", str(out), "--no-charts", "--allow-violations"]) == 0
    assert (out / "csv/annex2_managers.csv").read_text("utf-8-sig").startswith("未通过规则检查")
    assert json.loads((out / "plan.json").read_text("utf-8"))["watermark"].startswith("未通过规则检查")
    assert "【未通过规则检查】" in (out / "plan.ics").read_text("utf-8")
    assert 'class="flag">未通过规则检查' in (out / "report.html").read_text("utf-8")
    from openpyxl import load_workbook

    assert load_workbook(out / "notice.xlsx")["附件2"]["A1"].value.startswith("未通过规则检查")
    from planner.planio import read_plan

    assert read_plan(out / "notice.xlsx", catalogue).sessions == bad.sessions  # the mark does not get in the way


def test_bad_class_days(tmp_path, capsys):
    from planner.data import scenarios_dir

    assert main(["publish", str(scenarios_dir() / "plan_2024.csv"), "--out", str(tmp_path), "--class-days", "0",
                 "--no-charts"]) == 2
    assert "class-days" in capsys.readouterr().err


def test_ics_reads_well_on_a_phone(published, plan2024):
    """Titles start with site and stream, deadlines remind the day before, DTSTAMP is not in the future."""
    out, _ = published
    cal = Calendar.from_ical((out / "ics/huaan.ics").read_bytes())
    assert str(cal["X-WR-CALNAME"]) == "华安考点 2024年考试日历"
    evs = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    exam = evs["2024-special_ops-5-exam@planner.yuncheng-exams"]
    assert str(exam["SUMMARY"]) == "华安·特种作业 第5期 考试"
    deadline = evs["2024-special_ops-5-deadline@planner.yuncheng-exams"]
    assert str(deadline["SUMMARY"]).startswith("华安·特种作业 第5期 报名截止")
    alarms = deadline.walk("VALARM")
    assert len(alarms) == 1 and alarms[0].decoded("TRIGGER") == dt.timedelta(days=-1)
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert not exam.walk("VALARM")
    stamp = exam.decoded("DTSTAMP")
    assert stamp <= dt.datetime.now(dt.timezone.utc)  # the plan file's time, not a date in the plan year
    assert str(exam["STATUS"]) == "CONFIRMED"  # 2024 and 2025 are official years
    names = {p.name for p in (out / "ics").iterdir()}
    used = {plan2024.by_key()[k].institution for k in plan2024.by_key()}
    assert len(names) == len(used)


def test_ics_tentative_when_calendar_provisional(solved):
    """A 2026 plan reaches into January 2027 (provisional): every event is tentative and says why."""
    plan, ctx = solved(2026)
    evs = events(ics_files(plan, ctx)["plan.ics"])
    assert {str(e["STATUS"]) for e in evs.values()} == {"TENTATIVE"}
    assert all("2027年节假日安排尚未公布，日期为暂定" in str(e["DESCRIPTION"]) for e in evs.values())
    plan25, ctx25 = solved(2025)
    evs25 = events(ics_files(plan25, ctx25)["plan.ics"])
    assert {str(e["STATUS"]) for e in evs25.values()} == {"CONFIRMED"}
    assert not any("暂定" in str(e["DESCRIPTION"]) for e in evs25.values())


def test_timezones_built_once_are_those_icalendar_adds(plan2024, ctx2024, monkeypatch):
    """ics._add_timezones reuses one VTIMEZONE per run; the calendars must be byte for byte those of
    icalendar's own add_missing_timezones, for a first publication and for a revision with a cancelled event."""
    import planner.publish.ics as I

    first = ics_files(plan2024, ctx2024)
    changed = plan2024.with_sessions([s for s in moved(plan2024, ("special_ops", 5), 1).sessions
                                      if s.key != ("managers", 11)])
    revised = ics_files(changed, ctx2024, previous=first)
    monkeypatch.setattr(I, "_add_timezones", lambda cal: cal.add_missing_timezones())
    assert ics_files(plan2024, ctx2024) == first
    assert ics_files(changed, ctx2024, previous=first) == revised
    assert b"BEGIN:VTIMEZONE" in first["plan.ics"] and b"STATUS:CANCELLED" in revised["plan.ics"]


def test_revision_index_reads_what_icalendar_reads(plan2024, ctx2024, monkeypatch):
    """ics.revision_index scans our own calendars' lines instead of parsing them; on first publications,
    revisions and a revision with a cancelled event it must give icalendar's (SEQUENCE, hash, STATUS) per
    UID, and the calendars built from it must be those built from a full parse."""
    import planner.publish.ics as I

    first = ics_files(plan2024, ctx2024)
    moved5 = moved(plan2024, ("special_ops", 5), 1)
    dropped = moved5.with_sessions([s for s in moved5.sessions if s.key != ("managers", 11)])
    runs = [(plan2024, first), (moved5, ics_files(moved5, ctx2024, previous=first))]
    runs.append((dropped, ics_files(dropped, ctx2024, previous=runs[-1][1])))
    runs.append((plan2024, ics_files(plan2024, ctx2024, previous=runs[-1][1])))  # back: cancelled, revived
    for _, files in runs:
        for name, data in files.items():
            full = {uid: I._revision_fields(e) for uid, e in I.previous_events(data).items()}
            assert I.revision_index(data) == full, name
    assert any(status == "CANCELLED" for _, _, status in I.revision_index(runs[2][1]["plan.ics"]).values())
    assert I.revision_index(first["plan.ics"].replace(b"\r\n", b"\n")) is None  # not our shape: full parse
    low = first["plan.ics"].replace(b"BEGIN:VEVENT", b"begin:vevent").replace(b"END:VEVENT", b"End:VEvent")
    assert I.revision_index(low) == {u: I._revision_fields(e) for u, e in I.previous_events(low).items()} != {}
    fast = [ics_files(p, ctx2024, previous=prev) for (p, _), (_, prev) in zip(runs[1:], runs)]
    monkeypatch.setattr(I, "revision_index", lambda data: None)
    assert [ics_files(p, ctx2024, previous=prev) for (p, _), (_, prev) in zip(runs[1:], runs)] == fast


def test_damaged_old_calendars_cost_only_the_revision_numbers(plan2024, ctx2024):
    """Truncated, garbled or hand-edited calendars in the output folder never stop a publication."""
    first = ics_files(plan2024, ctx2024)["plan.ics"]
    uid = b"2024-managers-1-exam@planner.yuncheng-exams"
    odd = (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:" + uid + b"\r\nSEQUENCE:abc\r\nEND:VEVENT\r\n"
           b"BEGIN:VEVENT\r\nUID:gone@elsewhere\r\nSEQUENCE:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    for prev in (b"garbage", first[:3000], b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\n", odd):
        out = ics_files(plan2024, ctx2024, previous={"plan.ics": prev})
        assert events(out["plan.ics"])[uid.decode()]["SEQUENCE"] in (0, 1)
