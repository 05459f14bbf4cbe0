"""The most likely holiday arrangement of a year the State Council has not yet arranged.

The State Council publishes next year's 节假日安排 around November; until then a plan year is
*provisional*. The statute (全国年节及纪念日放假办法) fixes the statutory days, which the ``holidays``
package gives, lunar dates included; how they are stretched into blocks with 调休 make-up working days
is decided every year, but it follows a pattern. This module learns that pattern from the official
years the package carries and applies it. The method, per festival (元旦, 春节, 清明节, 劳动节, 端午节,
中秋节, 国庆节; 中秋节 joins 国庆节 as one festival when it falls on 9月28日 or later, as in 2012, 2017, 2020,
2023 and 2025, and stays apart when earlier, as in 2015, 2018, 2021 and 2026):

1. **The festival's statutory days** S of the year, and its anchor a, the first of them.
2. **Analogue.** The most recent earlier official year, at most ten years before, in which the festival
   had as many statutory days, placed alike (the same offsets from a) and with a on the same weekday: the
   block of days off and the make-up working days are copied at the same offsets from a. A copied make-up
   day that falls inside another festival's predicted block is placed again by step 4.
3. **Otherwise, the general rule**, learned from the festival's years of the last ten (all years when
   there are none): the longest valid block no longer than the latest year's (the latest with as many
   statutory days, if any) that owes no more make-up days than the festival ever did with as many
   statutory days, and adds weekdays only to reach a weekend; fewest make-up days next, then the start
   nearest the latest year's offset from a. A valid block holds all of S, and the days just before and
   after it can be working days (a weekend day touching the block must be a make-up day, else the block
   would be longer).
4. **Make-up working days.** A block owes one working day for every weekday in it beyond the statutory
   days (a statutory day on a weekend is made good on a weekday, 补假, and owes nothing). Weekend days
   touching the block go first; then the nearest weekend day before the block, then the nearest after,
   alternately, never inside a predicted block.

Only years from 2008 (the festival set of the 2007 statute, 国务院令第513号) are learned from, and only
years before the one predicted. ``benchmarks/holiday_forecast.py`` back-tests the method on every official
year since 2015 (README, "Calendar"). One-off decisions (2015's 70th anniversary days, 2020's extended
Spring Festival) are not predicted and count as misses there.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: the method's version, part of the calendar cache's file names (a cached prediction is only a copy):
#: this file's own digest, so that any change to the method gets new files
METHOD = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]
FIRST_LEARNED_YEAR = 2008
#: an analogue is at most this many years older than the year predicted: practice moves (劳动节 five days
#: from 2020; a one-day festival on a Wednesday bridged to the weekend in 2010-2013, alone since). Chosen on
#: the back-test itself (no limit: 59 of 80 blocks; 7 years: 60; 10: 61; 12: 59), so it is in-sample.
ANALOGUE_YEARS = 10
FESTIVALS = ("new_year", "spring_festival", "qingming", "labour", "dragon_boat", "mid_autumn", "national_day")
#: the library's statutory holiday names (language en_US) → festival
LIB_NAMES = {"New Year's Day": "new_year", "Chinese New Year's Eve": "spring_festival",
             "Chinese New Year (Spring Festival)": "spring_festival", "Tomb-Sweeping Day": "qingming",
             "Labor Day": "labour", "Dragon Boat Festival": "dragon_boat", "Mid-Autumn Festival": "mid_autumn",
             "National Day": "national_day"}
#: the festival's name as a planner reads it (the State Council's wording)
ZH = {"new_year": "元旦", "spring_festival": "春节", "qingming": "清明节", "labour": "劳动节",
      "dragon_boat": "端午节", "mid_autumn": "中秋节", "national_day": "国庆节"}
#: 中秋节 on or after this day of September joins 国庆节 (2023: 9月29日 joined; 2015: 9月27日 did not)
MID_AUTUMN_JOINS_FROM = 28
PREDICTED = "（预计）"
D1 = dt.timedelta(days=1)


def _days(a: dt.date, b: dt.date):
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def _weekend(d: dt.date) -> bool:
    return d.weekday() >= 5


def official_years() -> frozenset[int]:
    """Years for which the installed ``holidays`` carries the State Council's arrangement."""
    from holidays.countries.china import ChinaStaticHolidays

    return frozenset(ChinaStaticHolidays.special_public_holidays)


@lru_cache(maxsize=256)
def statutory(year: int) -> dict[str, tuple[dt.date, ...]]:
    """Festival → its statutory days in *year*, from the ``holidays`` package (lunar dates included).

    A joined 中秋节 is listed under ``national_day`` (its key ``mid_autumn`` then absent); a day that is two
    statutory holidays at once (2020: 中秋节 on 10月1日) is listed twice, since it is owed twice."""
    import holidays as hol

    lib = hol.China(years=year, observed=False, language="en_US")
    out: dict[str, list[dt.date]] = {}
    for d, names in lib.items():
        for n in names.split("; "):
            f = LIB_NAMES.get(n)
            if f is not None and d.year == year:
                out.setdefault(f, []).append(d)
    ma = out.get("mid_autumn")
    if ma and "national_day" in out and min(ma) >= dt.date(year, 9, MID_AUTUMN_JOINS_FROM):
        out["national_day"] += out.pop("mid_autumn")
    return {f: tuple(sorted(out[f])) for f in FESTIVALS if f in out}


@dataclass(frozen=True)
class Arrangement:
    """A year's days off and make-up working days (official, or predicted)."""

    year: int
    days_off: frozenset[dt.date]
    makeup: frozenset[dt.date]

    def working(self, d: dt.date) -> bool:
        return d in self.makeup or (not _weekend(d) and d not in self.days_off)

    def run(self, d: dt.date) -> tuple[dt.date, dt.date] | None:
        """The run of consecutive days off containing *d* (None when *d* is a working day)."""
        if self.working(d):
            return None
        a = b = d
        while not self.working(a - D1):
            a -= D1
        while not self.working(b + D1):
            b += D1
        return a, b

    def weekday_days_off(self) -> frozenset[dt.date]:
        """The year's days off that would otherwise be working days (Monday–Friday): what an exam must avoid."""
        return frozenset(d for d in self.days_off if d.year == self.year and not _weekend(d) and d not in self.makeup)

    def makeup_days(self) -> frozenset[dt.date]:
        """The year's make-up working days."""
        return frozenset(d for d in self.makeup if d.year == self.year)

    def blocks(self) -> dict[str, tuple[dt.date, dt.date]]:
        """Festival → its block: the run of days off from its first to its last statutory day (and the
        next year's 元旦, ``next_new_year``, whose block or make-up days may lie in this year)."""
        out = {}
        fest = dict(statutory(self.year))
        if "new_year" in statutory(self.year + 1):
            fest["next_new_year"] = statutory(self.year + 1)["new_year"]
        for f, s in fest.items():
            runs = [r for r in (self.run(d) for d in s) if r is not None]
            if runs:
                out[f] = (min(r[0] for r in runs), max(r[1] for r in runs))
        return out

    def makeup_of(self) -> dict[str, tuple[dt.date, ...]]:
        """Festival → the make-up working days of the year nearest its block."""
        blocks = self.blocks()
        out: dict[str, list[dt.date]] = {f: [] for f in blocks}
        for m in sorted(d for d in self.makeup if d <= dt.date(self.year, 12, 31)):
            if blocks:
                f = min(blocks, key=lambda f: (_distance(m, blocks[f]), f))
                out[f].append(m)
        return {f: tuple(v) for f, v in out.items()}


def _distance(d: dt.date, block: tuple[dt.date, dt.date]) -> int:
    a, b = block
    return (a - d).days if d < a else (d - b).days if d > b else 0


@lru_cache(maxsize=64)
def official(year: int) -> Arrangement:
    """The State Council's arrangement of *year* as the ``holidays`` package carries it."""
    import holidays as hol

    lib = hol.China(years=[year - 1, year, year + 1])
    near = (dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31))  # a 元旦 block may cross the year
    return Arrangement(year, frozenset(d for d in lib if near[0] <= d <= near[1]),
                       frozenset(d for d in getattr(lib, "weekend_workdays", ()) if near[0] <= d <= near[1]))


@dataclass(frozen=True)
class Shape:
    """A festival's block and make-up days as offsets from its anchor (its first statutory day)."""

    year: int
    key: tuple  # (number of statutory days, their offsets from the anchor, the anchor's weekday)
    start: int
    length: int
    makeup: tuple[int, ...]


def _key(s: tuple[dt.date, ...]) -> tuple:
    a = s[0]
    return len(s), tuple((d - a).days for d in s), a.weekday()


def shapes(year: int) -> dict[str, Shape]:
    """What the official year *year* did with each festival, relative to the festival's anchor."""
    arr = official(year)
    blocks, mk = arr.blocks(), arr.makeup_of()
    out = {}
    for f, s in statutory(year).items():
        if f in blocks and f in mk:
            a, b = blocks[f]
            out[f] = Shape(year, _key(s), (a - s[0]).days, (b - a).days + 1,
                           tuple((m - s[0]).days for m in mk.get(f, ())))
    return out


@dataclass(frozen=True)
class Forecast:
    """The predicted arrangement of a year: blocks, days off (with names), make-up days, and how each
    festival was predicted (``analogue YEAR`` or ``rule from YEAR``)."""

    year: int
    blocks: dict[str, tuple[dt.date, dt.date]]
    days_off: dict[dt.date, str]
    makeup: frozenset[dt.date]
    method: dict[str, str]
    makeup_of: dict[str, tuple[dt.date, ...]]

    def arrangement(self) -> Arrangement:
        return Arrangement(self.year, frozenset(self.days_off), self.makeup)


def _owed(block: tuple[dt.date, dt.date], s: tuple[dt.date, ...]) -> int:
    """Make-up working days a block owes: its weekdays beyond the statutory days (补假 covers weekend ones)."""
    return max(0, sum(1 for d in _days(*block) if not _weekend(d)) - len(s))


def _touching(block: tuple[dt.date, dt.date]) -> list[dt.date]:
    a, b = block
    return [d for d in (a - D1, b + D1) if _weekend(d)]


def _valid(block, s) -> bool:
    a, b = block
    return a <= s[0] and s[-1] <= b and len(_touching(block)) <= _owed(block, s)


def _place_makeup(block, n: int, taken: set[dt.date], keep: tuple[dt.date, ...] = ()) -> list[dt.date]:
    """*n* make-up days for *block*: those kept (copied and free), the weekend days touching it, then the
    nearest free weekend day before it, then after, alternately."""
    out = [d for d in keep if d not in taken and _weekend(d)]
    for d in _touching(block):
        if d not in out and d not in taken:
            out.append(d)
    a, b = block
    before = (a - dt.timedelta(days=i) for i in range(2, 60))
    after = (b + dt.timedelta(days=i) for i in range(2, 60))
    sides = [before, after]
    i = 0
    while len(out) < n:
        for d in sides[i % 2]:
            if _weekend(d) and d not in taken and d not in out:
                out.append(d)
                break
        i += 1
    return sorted(out[:n])


def predict(year: int, history: tuple[int, ...] | None = None) -> Forecast:
    """The most likely arrangement of calendar year *year*, learned from the official years *history*
    (default: every official year the installed ``holidays`` carries from 2008 on, before *year*).

    The next year's 元旦 is predicted too, for a 12月31日 it may take."""
    if history is None:
        history = tuple(y for y in sorted(official_years()) if FIRST_LEARNED_YEAR <= y < year)
    return _predict(year, tuple(sorted(y for y in history if y < year)))


@lru_cache(maxsize=64)
def _predict(year: int, history: tuple[int, ...]) -> Forecast:
    learned = {y: shapes(y) for y in history}
    festivals = [(year, f, s) for f, s in statutory(year).items()]
    nxt = statutory(year + 1).get("new_year")
    if nxt:
        festivals.append((year + 1, "new_year", nxt))
    blocks: dict[tuple[int, str], tuple[dt.date, dt.date]] = {}
    copied: dict[tuple[int, str], tuple[dt.date, ...]] = {}
    method: dict[str, str] = {}
    for y, f, s in festivals:
        recent = [learned[h][f] for h in reversed(history) if f in learned[h] and h >= y - ANALOGUE_YEARS]
        past = recent or [learned[h][f] for h in reversed(history) if f in learned[h]]
        twin = next((p for p in past if p.key == _key(s)), None)
        if twin is not None:
            a = s[0] + dt.timedelta(days=twin.start)
            blocks[y, f] = (a, a + dt.timedelta(days=twin.length - 1))
            copied[y, f] = tuple(s[0] + dt.timedelta(days=o) for o in twin.makeup)
            how = f"analogue {twin.year}"
        else:
            blocks[y, f] = _general_rule(s, past)
            how = f"rule from {past[0].year}" if past else "statutory days"
        if y == year:
            method[f] = how
    taken = {d for b in blocks.values() for d in _days(*b)}
    makeup: set[dt.date] = set()
    placed: dict[str, tuple[dt.date, ...]] = {}
    for (y, f, s) in festivals:
        n = _owed(blocks[y, f], s)
        days = _place_makeup(blocks[y, f], n, taken | makeup, copied.get((y, f), ())) if n else []
        makeup.update(days)
        placed[f if y == year else "next_new_year"] = tuple(days)
    days_off: dict[dt.date, str] = {}
    for (y, f, s) in festivals:
        joined = f == "national_day" and any(not (d.month == 10 and d.day <= 3) for d in s)
        name = "中秋节、国庆节" if joined else ZH[f]
        for d in _days(*blocks[y, f]):
            # as the library lists an official year: the statutory days and the weekdays off
            if d.year == year and (d in s or not _weekend(d)) and d not in makeup:
                days_off[d] = name + PREDICTED
    return Forecast(year, {f if y == year else "next_new_year": blocks[y, f] for (y, f, _) in festivals},
                    days_off, frozenset(d for d in makeup if d.year == year), method, placed)


def _general_rule(s: tuple[dt.date, ...], past: list[Shape]) -> tuple[dt.date, dt.date]:
    """Step 3: the longest valid block up to the length of the most recent year (with as many statutory
    days, if any) that owes no more make-up days than the festival ever needed with as many statutory days
    and adds weekdays only to reach a weekend; fewest make-up days, then the start nearest that year's
    offset from the anchor, break ties."""
    if not past:
        return s[0], s[-1]
    same = [p for p in past if p.key[0] == len(s)] or past
    ref = same[0]
    most = max(len(p.makeup) for p in same)
    span = (s[-1] - s[0]).days + 1
    cands = []
    for length in range(span, max(ref.length, span) + 1):
        for start in range(-length + 1 + (s[-1] - s[0]).days, 1):
            a = s[0] + dt.timedelta(days=start)
            block = (a, a + dt.timedelta(days=length - 1))
            days = _days(*block)
            owed = _owed(block, s)
            if _valid(block, s) and owed <= most and (owed == 0 or any(map(_weekend, days))):
                cands.append((-length, owed, abs(start - ref.start), start, block))
    return min(cands)[-1] if cands else (s[0], s[-1])


def library_baseline(year: int) -> Arrangement:
    """What the planner assumed before it predicted: the statutory days and the library's 补假 for a
    statutory day on a weekend, no make-up days (the back-test's baseline)."""
    import holidays as hol

    lib = hol.China(years=year, language="en_US")
    keep = set(LIB_NAMES)
    off = {d for d, n in lib.items() if d.year == year
           and any(p in keep or (p.endswith(" (observed)") and p[:-11] in keep) for p in n.split("; "))}
    return Arrangement(year, frozenset(off), frozenset())


@dataclass(frozen=True)
class YearScore:
    """How a year's prediction compares with the official arrangement."""

    year: int
    off_hit: int  # weekdays off predicted and official
    off_predicted: int
    off_official: int
    makeup_hit: int
    makeup_predicted: int
    makeup_official: int
    blocks: dict[str, tuple[bool, bool]]  # festival → (same block, same block and same make-up days)
    baseline_off_hit: int
    baseline_off_predicted: int


def score(year: int, history: tuple[int, ...] | None = None) -> YearScore:
    """Predict the official year *year* from the official years before it and compare."""
    fc, off = predict(year, history), official(year)
    pa = fc.arrangement()
    wp, wo = pa.weekday_days_off(), off.weekday_days_off()
    mp, mo = fc.makeup, off.makeup_days()
    ob, om = off.blocks(), off.makeup_of()
    blocks = {f: (fc.blocks.get(f) == ob[f], fc.blocks.get(f) == ob[f] and fc.makeup_of.get(f, ()) == om.get(f, ()))
              for f in FESTIVALS if f in ob}
    base = library_baseline(year).weekday_days_off()
    return YearScore(year, len(wp & wo), len(wp), len(wo), len(mp & mo), len(mp), len(mo), blocks,
                     len(base & wo), len(base))



