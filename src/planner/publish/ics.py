"""iCalendar files: ``plan.ics`` for everyone and ``ics/<institution>.ics`` for each site.

UIDs come from plan year + stream + 期次 (never from dates), so re-importing an updated
plan moves the event instead of duplicating it. Nothing depends on the clock: an event's
SEQUENCE starts at 0 and goes up by one when its content differs from the same file's
previous version (the output folder's, or the old plan's with ``publish --revision-of``);
DTSTAMP is the plan version's creation time (the plan file's modification time; for a plan
not read from a file, 1 January of the year before the plan year) plus SEQUENCE minutes, so
it grows with every revision and the same inputs give the same bytes. Sessions that
disappeared are kept as STATUS:CANCELLED so subscribed calendars drop them.

One state per UID across the set (plan.ics and every site's file, ``METHOD:PUBLISH``): an event's
SEQUENCE is numbered from the highest one any previous file of the set gave it, and a session that
moved to another site stays in its old site's file with its new content (same UID, same SEQUENCE,
CONFIRMED, titled with the new site), so a calendar subscribed to both sites' files never sees one
event cancelled in one and confirmed in the other. Only a session gone from the plan is cancelled,
and then in every file that had it.

For a phone: titles start with the site's short name and the stream ("华安·特种作业 第5期 考试"),
registration deadlines remind the day before (VALARM), a provisional calendar makes every event
STATUS:TENTATIVE with a line saying why, and a site's calendar is written only when it has sessions
(or had some before, so their cancellation reaches subscribers), named in Chinese (the file keeps the
site's id, so subscription URLs stay stable).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..plan import Plan, Session
from ..regulation import printed_kind
from . import tables as T
from . import wording as W

TZ = "Asia/Shanghai"
DOMAIN = "planner.yuncheng-exams"
DEADLINE_TIME = dt.time(12, 0)  # registration closes at noon (notice footnote)
PROVISIONAL_TAG = "【暂定】"


def uid(year: int, s: Session, what: str) -> str:
    return f"{year}-{s.stream}-{s.no}-{what}@{DOMAIN}"


def label(ctx, s: Session) -> str:
    """"华安·特种作业 第5期": what a phone shows first."""
    return W.EVENT_LABEL.format(site=ctx.catalogue.institutions[s.institution].short_name,
                                stream=W.stream_short(s.stream, ctx.catalogue.streams[s.stream].name), no=s.no)


def _events(plan: Plan, ctx, s: Session, class_days: int, institution_view: bool, flag: str,
            provisional: str = "") -> list[dict]:
    """Event fields for one session: the exam, the registration deadline and (for sites) the upload date."""
    inst = ctx.catalogue.institutions[s.institution]
    # what a phone shows first says the plan is not final: failed its check, or dated in a provisional year
    tag = ("【未通过规则检查】" if flag else "") + (PROVISIONAL_TAG if provisional else "")
    site = inst.plan_name
    closes = dt.datetime.combine(s.registration_deadline, DEADLINE_TIME, ZoneInfo(TZ))
    kind = printed_kind(ctx, s)
    desc = [f"考试类别：{kind}", f"考试地点：{site}", f"地址：{inst.address}",
            f"报名截止：{W.deadline_text(s.registration_deadline, plan.year)}（中午12点）",
            f"考试时间：{W.day_text(s.exam_date, plan.year)}"]
    if s.notes:
        desc.append(f"备注：{s.notes}")
    if provisional:
        desc.insert(0, provisional)
    common = {"location": f"{site}，{inst.address}", "description": "\n".join(desc), "categories": kind,
              "status": "TENTATIVE" if provisional else "CONFIRMED"}
    name = label(ctx, s)
    out = [
        {**common, "uid": uid(plan.year, s, "exam"), "summary": tag + W.EXAM_SUMMARY.format(label=name),
         "date": s.exam_date},
        {**common, "uid": uid(plan.year, s, "deadline"), "summary": tag + W.DEADLINE_SUMMARY.format(label=name),
         "time": closes, "alarm": W.DEADLINE_ALARM.format(label=name)},
    ]
    if institution_view:
        out.append({**common, "uid": uid(plan.year, s, "upload"), "summary": tag + W.UPLOAD_SUMMARY.format(label=name),
                    "date": T.upload_by(s, class_days),
                    "description": "\n".join([common["description"], W.UPLOAD_LINE.format(
                        date=W.day_text(T.upload_by(s, class_days), plan.year), days=class_days), W.UPLOAD_RULE])})
    return out


def _digest(ev: dict) -> str:
    return hashlib.sha256(repr(sorted(ev.items())).encode()).hexdigest()[:16]


def previous_events(data: bytes | None) -> dict[str, dict]:
    """UID -> the previous file's event (its SEQUENCE, content hash and fields), for revision numbering."""
    if not data:
        return {}
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(data)
    except Exception:  # an unreadable old file only costs the revision numbers
        return {}
    return {str(e["UID"]): e for e in cal.walk("VEVENT") if "UID" in e}


def _revision_fields(event) -> tuple[int, str, str]:
    """What revision numbering needs of an old event: (SEQUENCE, X-PLANNER-HASH, STATUS). A SEQUENCE that is
    not a number (a hand-edited file) counts as 0: a damaged old file only costs the revision numbers."""
    try:
        seq = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        seq = 0
    return seq, str(event.get("X-PLANNER-HASH", "")), str(event.get("STATUS", ""))


_SCANNED = {b"UID", b"SEQUENCE", b"X-PLANNER-HASH", b"STATUS"}


def revision_index(data: bytes) -> dict[str, tuple[int, str, str]] | None:
    """UID -> :func:`_revision_fields`, read off the lines of a calendar this module wrote, without building
    it (icalendar's parse of the five old calendars cost 0.14 s on every re-run into the same folder).
    None for anything not in that plain shape (LF line ends, escaped values, a malformed number): the
    caller then parses the file with icalendar, as it does whenever an old event must be re-emitted."""
    if not data[:17].upper().startswith(b"BEGIN:VCALENDAR\r\n"):
        return None
    lines = data.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").split(b"\r\n")
    out: dict[str, tuple[int, str, str]] = {}
    stack: list[bytes] = []
    fields: dict[bytes, bytes] = {}
    for line in lines:
        head = line[:6].upper()  # component names are case-insensitive, as icalendar reads them
        if head == b"BEGIN:":
            stack.append(line[6:].upper())
            if stack == [b"VCALENDAR", b"VEVENT"]:
                fields = {}
        elif head[:4] == b"END:":
            if not stack or stack.pop() != line[4:].upper():
                return None
            if stack == [b"VCALENDAR"] and line[4:].upper() == b"VEVENT":
                if b"UID" not in fields:
                    continue
                try:
                    seq = int(fields.get(b"SEQUENCE", b"0"))
                    uid, h, status = (fields.get(k, b"").decode("utf-8")
                                      for k in (b"UID", b"X-PLANNER-HASH", b"STATUS"))
                except (ValueError, UnicodeDecodeError):
                    return None
                out[uid] = (seq, h, status)
        elif stack == [b"VCALENDAR", b"VEVENT"]:
            name = line.split(b":", 1)[0].split(b";", 1)[0].upper()
            if name in _SCANNED:
                if b":" not in line or b"\\" in line or b";" in line.split(b":", 1)[0]:
                    return None  # parameters or escapes: leave it to icalendar
                fields[name] = line.split(b":", 1)[1]
    return out if not stack else None


def created_time(plan: Plan) -> dt.datetime:
    """When this plan version was made: its file's modification time (UTC, whole seconds), else 1 January
    of the year before the plan year (a plan still in memory: a fixed day that is already past when the
    plan is made, never the wall clock)."""
    import os

    try:
        if plan.source and os.path.isfile(plan.source):
            return dt.datetime.fromtimestamp(int(os.path.getmtime(plan.source)), dt.timezone.utc)
    except OSError:
        pass
    return dt.datetime(plan.year - 1, 1, 1, tzinfo=dt.timezone.utc)


def calendar_bytes(name: str, plan: Plan, events: list[dict], previous: bytes | None,
                   shared: dict[str, tuple[int, str, str]] | None = None) -> bytes:
    """One calendar; *shared*: UID -> revision fields over every previous file of the set (:func:`set_index`),
    so that an event gets the same SEQUENCE in every file it is in."""
    from icalendar import Alarm, Calendar, Event

    index = revision_index(previous) if previous else {}
    prev: dict[str, dict] = {}
    if index is None or set(index) - {ev["uid"] for ev in events}:  # odd file, or old events to cancel
        prev = previous_events(previous)
        index = {uid: _revision_fields(e) for uid, e in prev.items()}
    if shared:
        index = {**index, **shared}
    cal = Calendar()
    cal.add("prodid", "-//planner//Yuncheng safety-exam plan//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZ)
    base = created_time(plan)
    current = set()
    for ev in events:
        h = _digest(ev)
        old = index.get(ev["uid"])
        seq = 0
        if old is not None:
            seq, old_hash, status = old
            if old_hash != h or status == "CANCELLED":
                seq += 1
        e = Event()
        e.add("uid", ev["uid"])
        e.add("dtstamp", base + dt.timedelta(minutes=seq))
        e.add("sequence", seq)
        if "date" in ev:
            e.add("dtstart", ev["date"])
            e.add("dtend", ev["date"] + dt.timedelta(days=1))
            e.add("transp", "TRANSPARENT")
        else:  # an instant (noon): no DTEND, which RFC 5545 3.6.1 reads as ending when it starts (a DTEND
            # equal to DTSTART is invalid there: it must be later)
            e.add("dtstart", ev["time"])
        for key in ("summary", "location", "description", "categories"):
            e.add(key, ev[key])
        e.add("status", ev["status"])
        if "alarm" in ev:  # remind the day before the noon deadline
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", ev["alarm"])
            alarm.add("trigger", dt.timedelta(days=-1))
            e.add_component(alarm)
        e.add("x-planner-hash", h)
        cal.add_component(e)
        current.add(ev["uid"])
    for u in sorted(set(prev) - current):
        cal.add_component(_cancelled(prev[u], base, index.get(u)))
    _add_timezones(cal)
    return cal.to_ical()


def _add_timezones(cal) -> None:
    """``Calendar.add_missing_timezones``, with each VTIMEZONE built once per run: building it from the
    tz database is a third of the ICS files' cost and the same for all five calendars."""
    at = len(cal.timezones)
    for tzid in sorted(cal.get_missing_tzids()):
        tz = _vtimezone(tzid)
        if tz is not None:
            cal.subcomponents.insert(at, tz)
            at += 1


@lru_cache(maxsize=8)
def _vtimezone(tzid: str):
    from icalendar import Timezone

    try:
        return Timezone.from_tzid(tzid)
    except ValueError:  # unknown to the tz database: left out, as add_missing_timezones does
        return None


def _cancelled(old, base: dt.datetime, fields: tuple[int, str, str] | None = None):
    """A session gone from the plan: the old event, cancelled (revised once, then kept as it is); *fields*:
    its revision fields across the set, so that it is cancelled with the same SEQUENCE in every file."""
    seq, _, status = fields or _revision_fields(old)
    if status == "CANCELLED":
        return old
    old.subcomponents = [c for c in old.subcomponents if c.name != "VALARM"]  # no reminder for a cancelled deadline
    seq += 1
    old["SEQUENCE"] = seq
    old["STATUS"] = "CANCELLED"
    old.pop("DTSTAMP", None)
    old.add("dtstamp", base + dt.timedelta(minutes=seq))
    return old


def ics_files(plan: Plan, ctx, class_days: int = T.DEFAULT_CLASS_DAYS, flag: str = "",
              previous: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Relative path -> bytes: plan.ics (exams and deadlines) and one calendar per site with sessions."""
    previous = previous or {}
    shared = set_index(previous)
    note = T.provisional_note(plan, ctx)
    title = W.CALENDAR_NAME.format(year=plan.year)
    everyone = [ev for s in plan.sessions for ev in _events(plan, ctx, s, class_days, False, flag, note)]
    out = {"plan.ics": calendar_bytes(title, plan, everyone, previous.get("plan.ics"), shared)}
    for inst in sorted(ctx.catalogue.institutions.values(), key=lambda i: i.seq):
        rel = institution_file(inst)
        had = set(revision_index(previous[rel]) or previous_events(previous[rel])) if previous.get(rel) else set()
        # its own sessions, and those that moved away from it (their new content: see the module's docstring)
        evs = [ev for s in plan.sessions
               if s.institution == inst.id or any(uid(plan.year, s, w) in had for w in ("exam", "deadline"))
               for ev in _events(plan, ctx, s, class_days, True, flag, note)]
        if evs or previous.get(rel):
            out[rel] = calendar_bytes(W.SITE_CALENDAR_NAME.format(year=plan.year, site=inst.short_name), plan, evs,
                                      previous.get(rel), shared)
    return out


def set_index(previous: dict[str, bytes]) -> dict[str, tuple[int, str, str]]:
    """UID -> revision fields of its highest SEQUENCE in any previous calendar of the set."""
    out: dict[str, tuple[int, str, str]] = {}
    for rel in sorted(previous):
        data = previous[rel]
        index = revision_index(data) if data else {}
        if index is None:
            index = {u: _revision_fields(e) for u, e in previous_events(data).items()}
        for u, fields in index.items():
            if u not in out or fields[0] > out[u][0]:
                out[u] = fields
    return out


def institution_file(inst) -> str:
    """"ics/huaan.ics": a stable ASCII name (subscription URLs keep working); the calendar itself is named
    in Chinese (X-WR-CALNAME "华安考点 2027年考试日历"), which is what a phone shows."""
    return f"ics/{inst.id}.ics"
