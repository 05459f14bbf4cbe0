"""Comparing two plans: sessions added, removed and moved, and what the change does to each site.

Sessions are matched by (stream, 期次), as the solver does when it keeps a re-plan close to a
reference and as the notice's readers do ("期次 12 moved to …"). KPIs are per site: sessions,
the longest and the mean gap between two consecutive exams there (the wait a candidate who
must sit at that site may face).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from statistics import mean

from .plan import Plan, Session

ALL = "(all)"


@dataclass(frozen=True)
class Change:
    """One session that differs between plan A (``old``) and plan B (``new``)."""

    stream: str
    no: int
    what: str  # added | removed | moved (date or site) | changed (deadline or kind only)
    old: Session | None
    new: Session | None

    @property
    def days(self) -> int:
        """Days the exam moved (B minus A); 0 when added or removed."""
        if self.old is None or self.new is None:
            return 0
        return (self.new.exam_date - self.old.exam_date).days

    @property
    def site_changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.institution != self.new.institution

    def label(self) -> str:
        return f"{self.stream} #{self.no}"

    def describe(self) -> str:
        o, n = self.old, self.new
        if o is None:
            return f"added {n.exam_date} at {n.institution}"
        if n is None:
            return f"removed (was {o.exam_date} at {o.institution})"
        parts = []
        if self.days:
            parts.append(f"{o.exam_date} → {n.exam_date} ({self.days:+d} days)")
        if self.site_changed:
            parts.append(f"{o.institution} → {n.institution}")
        if o.registration_deadline != n.registration_deadline:
            parts.append(f"deadline {o.registration_deadline} → {n.registration_deadline}")
        if o.kind != n.kind:
            parts.append(f"kind {o.kind} → {n.kind}")
        return "; ".join(parts)


def diff_plans(a: Plan, b: Plan) -> list[Change]:
    """Every session of A or B that is not identical in the other, in stream and 期次 order."""
    ka, kb = a.by_key(), b.by_key()
    out = []
    for key in sorted(set(ka) | set(kb), key=lambda k: (_stream_rank(k[0]), k[1])):
        o, n = ka.get(key), kb.get(key)
        if o is None:
            out.append(Change(*key, "added", None, n))
        elif n is None:
            out.append(Change(*key, "removed", o, None))
        elif (o.exam_date, o.institution) != (n.exam_date, n.institution):
            out.append(Change(*key, "moved", o, n))
        elif (o.registration_deadline, o.kind) != (n.registration_deadline, n.kind):
            out.append(Change(*key, "changed", o, n))
    return out


def _stream_rank(stream: str):
    from .plan import _stream_order

    return _stream_order(stream)


def moves(changes: list[Change]) -> tuple[int, int]:
    """(sessions changed, total days moved): the re-planning objective's two tiers, measured."""
    changed = [c for c in changes if c.what in ("moved", "changed")]
    return len(changed), sum(abs(c.days) for c in changed)


@dataclass(frozen=True)
class SiteKPI:
    sessions: int
    longest_gap: int | None  # days between consecutive exams at the site; None with fewer than two
    mean_gap: float | None


def site_kpis(plan: Plan) -> dict[str, SiteKPI]:
    """Per site (all streams together), plus ``(all)``: consecutive exams of the whole plan."""
    by_site: dict[str, list] = {}
    for s in plan.sessions:
        by_site.setdefault(s.institution, []).append(s.exam_date)
    by_site[ALL] = [s.exam_date for s in plan.sessions]
    out = {}
    for site in sorted(by_site, key=lambda x: (x == ALL, x)):
        days = sorted(by_site[site])
        gaps = [(b - a).days for a, b in zip(days, days[1:])]
        out[site] = SiteKPI(len(days), max(gaps) if gaps else None, round(mean(gaps), 1) if gaps else None)
    return out


def kpi_rows(a: Plan, b: Plan) -> list[list[str]]:
    """site, sessions A/B/Δ, longest gap A/B/Δ, mean gap A/B/Δ (text cells, blank when undefined)."""
    ka, kb = site_kpis(a), site_kpis(b)
    empty = SiteKPI(0, None, None)
    rows = []
    for site in sorted(set(ka) | set(kb), key=lambda x: (x == ALL, x)):
        x, y = ka.get(site, empty), kb.get(site, empty)
        row = [site]
        for f in ("sessions", "longest_gap", "mean_gap"):
            va, vb = getattr(x, f), getattr(y, f)
            d = "" if va is None or vb is None else _num(vb - va, signed=True)
            row += [_num(va), _num(vb), d]
        rows.append(row)
    return rows


def kpi_table(a: Plan, b: Plan, catalogue, names: tuple[str, str] = ("方案A", "方案B")) -> tuple[list[str], list[list]]:
    """:func:`kpi_rows` in Chinese, as the workbench's 对比 page and ``planner compare``'s 比较考点.csv show it: the
    sites' short names (全部考点 for the whole plan), the two plans named by *names* (版本3, 方案A)."""
    header = ["考点"]
    for what in ("场次", "最长间隔", "平均间隔"):
        header += [f"{what}（{names[0]}）", f"{what}（{names[1]}）", "差"]
    short = {i: x.short_name for i, x in catalogue.institutions.items()}
    return header, [[short.get(r[0], "全部考点")] + [_number(v) for v in r[1:]] for r in kpi_rows(a, b)]


def _number(text: str):
    """A cell of :func:`kpi_rows` as the number it is (blank stays blank): a spreadsheet sorts and sums it, and a
    signed difference is not taken for a formula (as text, ``-1`` would have to be escaped to ``'-1``)."""
    if text == "":
        return ""
    v = float(text)
    return int(v) if v == int(v) else v


def late_days(ctx) -> int | None:
    """The wait the comparison counts candidates beyond: the wait preference's target (``short_wait``), else the
    waiting rule's limit; None when the rule set has neither."""
    for name, attr in (("short_wait", "target_days"), ("waiting", "max_wait_days")):
        rule = ctx.ruleset.rule(name)
        if rule is not None:
            return getattr(rule, attr)
    return None


def people_table(a: Plan, b: Plan, ctx, names: tuple[str, str] = ("方案A", "方案B")) -> tuple[list[str], list[list]]:
    """The same candidates (``ctx.demand``) in plan *a* and in plan *b*, in Chinese (the workbench's 对比 and
    ``planner compare --demand``'s 比较考生.csv): seats, seated, carried over, waits, and per category the
    candidates who wait longer than :func:`late_days` where either plan has any. Numbers, the difference B − A."""
    from .queueing import evaluate

    la, lb = evaluate(a, ctx), evaluate(b, ctx)
    days = late_days(ctx)
    both = (la.summary(), lb.summary())
    lines = [("预计考生", "expected_candidates"), ("考位", "seats"), ("已安排", "seated"), ("结转下年", "unserved"),
             ("最长候考天数", "max_wait_days"), ("95%候考天数", "p95_wait_days")]
    rows = [[label, *(x[key] for x in both)] for label, key in lines]
    if days is not None:
        rows.insert(4, [f"候考超过{days}天", la.over(days), lb.over(days)])
        for ca, cb in zip(la.categories, lb.categories):
            late = (ca.over(days), cb.over(days))
            if any(late):
                rows.append([f"其中{ctx.catalogue.category_name(ca.category)}候考超过{days}天", *late])
    out = [r + ["" if None in r[1:] else r[2] - r[1]] for r in rows]
    from .demand import demand_origin

    # a bureau's registrations on estimated seats: "实际，考位和未过再报比例为估计", as report.html says it
    return ["考生（" + demand_origin(ctx.demand.demand)["label"] + "）", names[0], names[1], "差"], [
        [r[0]] + ["" if v is None else v for v in r[1:]] for r in out]


#: the candidates in the two plans (``planner compare --demand``), beside 比较考点.csv
PEOPLE_FILE = "比较考生.csv"

#: the per-site table in Chinese, beside compare_kpis.csv (``planner compare``)
KPI_FILE = "比较考点.csv"

KPI_HEADER = ["site", "sessions A", "sessions B", "Δ", "longest gap A", "longest gap B", "Δ",
              "mean gap A", "mean gap B", "Δ"]
CHANGE_HEADER = ["change", "stream", "no", "exam A", "exam B", "days", "site A", "site B", "deadline A", "deadline B",
                 "reason"]


def _num(v, signed: bool = False) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        v = round(v, 1)
        if v == int(v):
            v = int(v)
    return f"{v:+}" if signed else f"{v}"


def change_rows(changes: list[Change], reasons: dict | None = None) -> list[list[str]]:
    def d(s, f):
        return getattr(s, f).isoformat() if s is not None else ""

    return [[c.what, c.stream, str(c.no), d(c.old, "exam_date"), d(c.new, "exam_date"),
             _num(c.days, signed=True) if c.old and c.new else "", c.old.institution if c.old else "",
             c.new.institution if c.new else "", d(c.old, "registration_deadline"), d(c.new, "registration_deadline"),
             (reasons or {}).get((c.stream, c.no), "")] for c in changes]


#: a signed whole number (a move of "+3" days): a spreadsheet reads it as the number it is, never as a formula
_SIGNED_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def to_csv(rows: list[list[str]], header: list[str]) -> str:
    """CSV with a BOM, so that Excel and WPS open the Chinese text correctly; text a spreadsheet could take for a
    formula (a scenario's name, a planner's reason, an institution's name) goes out as text (``textio.csv_field``)."""
    from .textio import csv_field

    def cell(value):
        return value if isinstance(value, str) and _SIGNED_NUMBER.fullmatch(value) else csv_field(value)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([cell(v) for v in header])
    w.writerows([cell(v) for v in row] for row in rows)
    return "\ufeff" + buf.getvalue()


def summary_line(a: Plan, b: Plan, changes: list[Change]) -> str:
    n = {w: sum(1 for c in changes if c.what == w) for w in ("added", "removed", "moved", "changed")}
    changed, days = moves(changes)
    return (f"A: {len(a.sessions)} sessions, B: {len(b.sessions)} sessions; added {n['added']}, removed "
            f"{n['removed']}, moved {n['moved']}, deadline/kind only {n['changed']}; {changed} changed, "
            f"{days} days moved in total")
