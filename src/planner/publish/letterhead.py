"""The notice's own parts as data: the 版头/版记 (``constraints/notice/letterhead.toml``) and the bureau's
yearly sections (``constraints/notice/sections/YEAR.md`` or a file the planner gives), GB/T 9704-2012.

The sections file is the bureau's text, never ours: when a year has none (or only the shipped placeholder),
the notice carries the generated sections alone and the pre-publication checklist asks for it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import PlannerError

PLACEHOLDER_MARK = "PLACEHOLDER"
#: heading numbers of the standard's four levels (GB/T 9704 7.3.3): 一、 （一） 1. （1）
CN_DIGITS = "零一二三四五六七八九"
#: the longest 发文字号 accepted, whole or as its serial number: a real one is about a dozen characters
#: (运应急发〔2025〕12号); what is longer is a pasted sentence, not a number. The 发布 form's maxlength too.
MAX_NUMBER_CHARS = 30


def checked_number(number: str, fieldname: str | None = None) -> str:
    """*number* (a 发文字号 or its serial number) stripped, or bad input when it is longer than a number can be."""
    number = number.strip()
    if len(number) > MAX_NUMBER_CHARS:
        raise PlannerError(f"the 发文字号 has {len(number)} characters; at most {MAX_NUMBER_CHARS}",
                           field=fieldname)
    return number


@dataclass(frozen=True)
class Letterhead:
    mark: str
    organ: str
    number_prefix: str
    recipients: str
    copy_to: tuple[str, ...]
    printed_by: str

    def document_number(self, year: int, number: str = "") -> str:
        """发文字号 "运应急发〔2025〕12号"; without a number a visible blank for it: "运应急发〔2025〕  号".

        *number* is the serial number ("12"), or a whole 发文字号 (containing 〔), which is used as given."""
        number = checked_number(number)
        if "〔" in number:
            return number
        return f"{self.number_prefix}〔{year}〕{number or '  '}号"


def letterhead_path() -> Path:
    from ..data import constraints_dir

    return constraints_dir() / "notice" / "letterhead.toml"


def load_letterhead(path: str | Path | None = None) -> Letterhead:
    from ..textio import read_toml

    path = Path(path) if path is not None else letterhead_path()
    doc = read_toml(path)
    out = {}
    for key in ("mark", "organ", "number_prefix", "recipients", "printed_by"):
        value = doc.get(key, "")
        if not isinstance(value, str):
            raise PlannerError("must be a string", file=path, field=key)
        out[key] = value.strip()
    for key in ("mark", "organ", "number_prefix"):
        if not out[key]:
            raise PlannerError("must not be empty", file=path, field=key)
    copy_to = doc.get("copy_to", [])
    if not isinstance(copy_to, list) or not all(isinstance(c, str) and c.strip() for c in copy_to):
        raise PlannerError("must be a list of organ names", file=path, field="copy_to")
    return Letterhead(copy_to=tuple(c.strip() for c in copy_to), **out)


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (section numbers)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def heading_number(level: int, n: int) -> str:
    """The standard's number of the *n*-th heading of *level* (1–4): 一、 （一） 1. （1）."""
    return {1: f"{cn_number(n)}、", 2: f"（{cn_number(n)}）", 3: f"{n}.", 4: f"（{n}）"}[level]


_OWN_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|（\d+）)\s*")


def strip_number(text: str) -> str:
    """A heading's text without a number the author typed (the computed one replaces it)."""
    return _OWN_NUMBER.sub("", text.strip(), count=1)


def sections_path(year: int) -> Path:
    from ..data import constraints_dir

    return constraints_dir() / "notice" / "sections" / f"{year}.md"


def read_sections(path: str | Path | None, year: int) -> tuple[tuple[int, str], ...]:
    """The bureau's sections as (level, text) lines: level 1–4 for a heading, 0 for a body paragraph.

    *path* None: the year's file if there is one. Empty when there is none or it is the shipped placeholder."""
    from ..textio import printable, read_text

    if path is None:
        path = sections_path(year)
        if not path.is_file():
            return ()
    text = read_text(path)
    if PLACEHOLDER_MARK in text.split("-->", 1)[0] and text.lstrip().startswith("<!--"):
        return ()
    out: list[tuple[int, str]] = []
    in_comment = False
    for row, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if in_comment or s.startswith("<!--"):
            in_comment = "-->" not in s
            continue
        if not s:
            continue
        printable(s, path, row)  # the notice's XML cannot hold a control character (it failed in python-docx)
        m = re.match(r"^(#{1,6})\s+(.*)$", s)
        if m:
            level = len(m.group(1))
            if level > 4:
                raise PlannerError("a heading has at most four levels (# … ####)", file=path, row=row)
            if level > 1 and not any(lv == level - 1 for lv, _ in out):
                raise PlannerError(f"a level-{level} heading before any level-{level - 1} heading", file=path, row=row)
            body = strip_number(m.group(2))
            if not body:
                raise PlannerError("an empty heading", file=path, row=row)
            out.append((level, body))
        else:
            out.append((0, s))
    return tuple(out)


def publish_day() -> dt.date:
    """Today, the day a set is published (``SOURCE_DATE_EPOCH``, when set, for reproducible builds)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def check_issued(issued: dt.date | None) -> dt.date:
    """The 成文日期: the date given, or today; never a day in the future."""
    today = publish_day()
    if issued is None:
        return today
    if issued > today:
        raise PlannerError(f"成文日期 {issued.isoformat()} is in the future (today is {today.isoformat()})",
                           field="issued")
    if issued.year < 2000:  # a typo: and the zip that carries the set cannot date a file before 1980
        raise PlannerError(f"成文日期 {issued.isoformat()} is before 2000: a typo?", field="issued")
    return issued
