"""The notice's fixed wording (headers, footnotes, sheet names) and its date phrasing, in one place.

Facts that change (names, addresses, titles, materials) come from the catalogue; only the
sentences every year's notice repeats verbatim live here, so a wording change is one edit.
"""
from __future__ import annotations

import datetime as dt
import re

#: columns of 附件2/附件3, as printed in the notice
PLAN_HEADERS = ("期次", "报名时间", "考试时间", "考试类别", "考试地点", "备注")
#: columns of 附件4 (全市安全生产培训机构工作咨询电话)
DIRECTORY_TITLE = "全市安全生产培训机构工作咨询电话"
#: 附件1's line kinds as annex1_materials.csv names them (column 类型)
MATERIALS_KINDS = {"heading": "标题", "item": "材料", "note": "说明"}
DIRECTORY_HEADERS = ("序号", "机构名称", "机构培训范围", "详细地址", "联系电话", "负责人")
MATERIALS_SHEET = "附件1"
DIRECTORY_SHEET = "附件4"

NOTE_NOON = "考试报名时间截止到当天中午12点；"
NOTE_ADJUST = "考试时间原则上严格按照计划执行，确因工作需要可酌情调整；"
NOTE_ADDRESSES_ONE = "考试点详细地址："
NOTE_ADDRESSES_MANY = "各考试点详细地址："
#: 附件3 note 1: the on-demand sites; {names} joined by "、"
NOTE_ON_DEMAND = "因{names}每年的培训体量较小，时间不固定，具体考试时间视情况酌情安排；"
ADDRESS_LINE = "{name}地址：{address}"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

#: marks every output of a plan published with --allow-violations
WATERMARK = "未通过规则检查（{n}处违反规则），仅供内部讨论，不得作为正式计划发布"
#: every published file of a plan with a date in a year whose holiday arrangement is not yet official
PROVISIONAL_NOTE = "{years}年节假日安排尚未公布，日期为暂定"

#: notice section 五: institutions upload the approved training plan one month before the class opens
UPLOAD_SUMMARY = "{label} 上传培训计划截止"
UPLOAD_LINE = "培训计划上传截止：{date}（开班前1个月；按培训{days}天、考试前一天结课推算）"
UPLOAD_RULE = "各培训机构要在开班前1个月，上传经应急管理部门审核通过的培训计划至资源平台"
#: calendar event titles start with what a phone shows first: site, stream, 期次 ("华安·特种作业 第5期 考试")
EVENT_LABEL = "{site}·{stream} 第{no}期"
EXAM_SUMMARY = "{label} 考试"
DEADLINE_SUMMARY = "{label} 报名截止（中午12点）"
DEADLINE_ALARM = "明天中午12点报名截止：{label}"
CALENDAR_NAME = "运城市{year}年安全培训考试计划"
SITE_CALENDAR_NAME = "{site}考点 {year}年考试日历"
#: short stream names for calendar titles; a stream not listed uses its full name
STREAM_SHORT = {"managers": "主要负责人和安管员", "special_ops": "特种作业", "on_demand": "特种作业（按需）"}
# (on_demand's own 期次 count from 1 as special_ops' do: "特种作业 第1期" named two sessions in a 调整通知's table)

#: extra CSV columns of the institutions' schedule (training-plan upload dates)
SCHEDULE_HEADERS = ("考试计划", "期次", "考试地点", "报名截止", "考试时间", "最晚开班日期", "培训计划上传截止")


#: why a session moved only to make room for another (changes.csv "knock-on"); a rule's own reason is its ``zh.revision``
KNOCK_ON_REASON = "随相邻期次顺延调整"


def revision_reason(text: str) -> str:
    """A re-plan's reason ("institution_open: xinshiji is closed …", "knock-on: …") in Chinese; "" if unknown."""
    head = text.split(":", 1)[0].strip()
    if head == "knock-on":
        return KNOCK_ON_REASON
    return rule_revision(head)


def rule_revision(name: str) -> str:
    """A rule's reason for a changed 期次, as its own file words it (``zh.revision``); "" for a name that is no rule.
    The one source of the 调整原因 column of changes.csv, 调整明细 and the revision notice."""
    from ..rules import rule_class

    cls = rule_class(name)
    return cls.zh.revision if cls is not None and cls.zh is not None else ""


def stream_short(stream: str, name: str) -> str:
    return STREAM_SHORT.get(stream, name)


def numbered(i: int, text: str) -> str:
    """"1、text": the notice's numbering of footnotes and material items."""
    return f"{i}、{text}"


def circled(i: int) -> str:
    return CIRCLED[i - 1] if 1 <= i <= len(CIRCLED) else f"({i})"


def days_moved(n: int) -> str:
    """How far an exam moved, in words: 推迟2天, 提前3天, "" when it stayed. Not "+2天": a cell starting with + is
    a formula to Excel and WPS, and a file of ours escapes it, which the planner would then see as '+2天."""
    return f"推迟{n}天" if n > 0 else f"提前{-n}天" if n < 0 else ""


def day_text(d: dt.date, plan_year: int, shown_year: int | None = None) -> str:
    """"3月6日", or "2025年1月7日" when the date's year is not the one in force.

    The year in force is the plan year, or in a table column *shown_year*: the year of the cell
    above. The notice writes the year once where a column crosses into the next year (附件3 期次46
    "2025年1月3日", 期次47 "1月9日"); a lone date (a calendar entry) always names a foreign year.
    """
    prefix = f"{d.year}年" if d.year != (plan_year if shown_year is None else shown_year) else ""
    return f"{prefix}{d.month}月{d.day}日"


def deadline_text(d: dt.date, plan_year: int, shown_year: int | None = None) -> str:
    """"3月1日前": registration closes on that day (at noon)."""
    return day_text(d, plan_year, shown_year) + "前"


_DATE_RE = re.compile(r"^(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(前)?$")


def parse_day_text(text: str, plan_year: int, above: dt.date | None = None) -> tuple[dt.date, bool]:
    """Inverse of :func:`day_text`/:func:`deadline_text`: (date, had "前"). ValueError when not a date.

    A date without a year takes the year of the cell *above* (the column runs in date order), or
    the plan year; a date well before the cell above is in the following year.
    """
    m = _DATE_RE.match(re.sub(r"\s+", "", text))
    if not m:
        raise ValueError(text)
    month, day = int(m.group(2)), int(m.group(3))
    if m.group(1):
        return dt.date(int(m.group(1)), month, day), bool(m.group(4))
    year = above.year if above is not None else plan_year
    d = dt.date(year, month, day)
    if above is not None and (above - d).days > 60:
        d = dt.date(year + 1, month, day)
    return d, bool(m.group(4))
