"""report.html: one self-contained page (charts embedded as SVG, no network) for the bureau's planners.

Order of the page is the order of a planner's questions: is this plan final (calendar official or
provisional, rule check passed)? what are the two tables? what does the year look like? Then the
figures, the institutions' view and the directory; hashes, per-rule results and solver statistics
are folded into a closing 技术信息 section. Everything from input files goes through
:func:`html.escape`. On a phone (390 px) tables scroll inside their box and a tap on a chart shows
it at full size; printed on A4, headings stay with their tables.
"""
from __future__ import annotations

import base64
import html
from collections import Counter
from pathlib import Path, PurePosixPath, PureWindowsPath

from .demand import demand_origin
from .publish import tables as T
from .publish import wording as W

#: summary.json keys not shown, at any depth: wall-clock time differs between identical runs
VOLATILE_SUMMARY_KEYS = ("solve_seconds", "answer_seconds", "answer_cpu_seconds")
CHART_TITLES = {"calendar": "全年考试日历", "site_month": "各考点每月考试场次", "registration_windows": "报名窗口（按考试月份）",
                "candidates_month": "各考点每月安排考生与考位", "waits": "各类别考生候考天数"}

CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:0 auto;max-width:1100px;
padding:12px;color:#222;line-height:1.55;font-size:16px}
h1{font-size:1.45em;margin:.3em 0}h2{font-size:1.2em;border-bottom:2px solid #1f77b4;padding-bottom:2px;margin-top:1.6em}
h3{font-size:1.05em;margin:1.1em 0 .3em}
.flag{background:#c00000;color:#fff;padding:8px 12px;font-weight:bold}
.status{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.status div{flex:1 1 260px;border-radius:6px;padding:10px 12px;border:1px solid #ccd}
.good{background:#eaf6ea;border-color:#8c8!important}.warn{background:#fff3cd;border-color:#e0a800!important}
.bad{background:#fde8e8;border-color:#c00000!important}
.status b{display:block;font-size:1.05em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;margin:6px 0;font-size:.92em}
th,td{border:1px solid #aaa;padding:3px 7px;text-align:center;vertical-align:middle}
th{background:#eef3f8}td{white-space:nowrap}td.l{text-align:left;white-space:pre-line;min-width:6em}
td.w{min-width:24em}
.n{white-space:nowrap}td.l.n{white-space:pre}
.kpis{display:flex;flex-wrap:wrap;gap:10px}.kpi{border:1px solid #ccd;border-radius:6px;padding:8px 12px;flex:1 1 150px}
.kpi b{display:block;font-size:1.3em}
figure{margin:10px 0}figure img{width:100%;height:auto;cursor:zoom-in;display:block}
figure.zoom{overflow-x:auto}figure.zoom img{width:auto;max-width:none;cursor:zoom-out}
figcaption{font-size:.85em;color:#555}
.notes{white-space:pre-line;font-size:.9em}
details{margin-top:2em;border-top:1px solid #ccc;padding-top:.5em}summary{font-weight:bold;cursor:pointer}
@media (max-width:480px){body{padding:8px;font-size:15px}h1{font-size:1.25em}table{font-size:.85em}}
@page{size:A4;margin:15mm 12mm}
@media print{body{max-width:none;padding:0;font-size:11pt}h2,h3{break-after:avoid;page-break-after:avoid}
figure,tr{break-inside:avoid}thead{display:table-header-group}.scroll{overflow:visible}
td,td.w{white-space:normal;min-width:0}table{width:100%}
figure img{width:auto!important;max-width:100%;max-height:255mm;margin:0 auto}details{display:none}}
"""

#: a tap on a chart shows it at full size (and back); the page works without it
SCRIPT = ("document.querySelectorAll('figure img').forEach(function(i){i.addEventListener('click',"
          "function(){i.parentNode.classList.toggle('zoom')})});")


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def table_html(header, rows, left: tuple[int, ...] = (), wide: tuple[int, ...] = (),
               keep: tuple[int, ...] = ()) -> str:
    """A table in a sideways-scrolling box; *left* columns hold running text, *wide* ones long text, *keep* ones
    a name, a phone number or a site that never wraps, on paper either (header included)."""
    head = "".join(f'<th class="n">{esc(h)}</th>' if i in keep else f"<th>{esc(h)}</th>"
                   for i, h in enumerate(header))

    def cell(i, v) -> str:
        cls = " ".join(c for c, cols in (("l", left), ("w", wide), ("n", keep)) if i in cols)
        return f'<td class="{cls}">{esc(v)}</td>' if cls else f"<td>{esc(v)}</td>"

    body = "".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def kpi_html(label: str, value) -> str:
    return f'<div class="kpi">{esc(label)}<b>{esc(value)}</b></div>'


def site_month_rows(plan, ctx) -> tuple[list[str], list[list]]:
    """Sessions per site (rows) and month (columns), with totals."""
    months = sorted({(s.exam_date.year, s.exam_date.month) for s in plan.sessions})
    sites = sorted({s.institution for s in plan.sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    count = Counter((s.institution, (s.exam_date.year, s.exam_date.month)) for s in plan.sessions)
    header = ["考点"] + [f"{m}月" if y == plan.year else f"{y}年{m}月" for y, m in months] + ["合计"]
    rows = [[ctx.catalogue.institutions[i].short_name] + [count[(i, ym)] for ym in months]
            + [sum(count[(i, ym)] for ym in months)] for i in sites]
    rows.append(["合计"] + [sum(count[(i, ym)] for i in sites) for ym in months] + [len(plan.sessions)])
    return header, rows


def kpis(plan, ctx) -> list[tuple[str, object]]:
    """Figures a planner can check: sessions per stream, per rotation site (special ops only), gaps."""
    cat = ctx.catalogue
    out = [("考试场次（合计）", len(plan.sessions))]
    for sid in plan.streams():
        sessions = plan.stream(sid)
        sites = sorted({s.institution for s in sessions}, key=lambda i: cat.institutions[i].seq)
        where = "、".join(cat.institutions[i].short_name for i in sites)
        out.append((f"{cat.streams[sid].name}（{where}）", f"{len(sessions)}场"))
    rotation = list(ctx.sites("special_ops")) if "special_ops" in cat.streams else []
    ops = Counter(s.institution for s in plan.stream("special_ops"))
    if rotation:
        counts = [ops.get(i, 0) for i in rotation]
        out.append(("特种作业：每个轮转考点的场次 最少/最多", f"{min(counts)} / {max(counts)}"))
    gaps = [s.gap_days for s in plan.sessions]
    out.append(("报名截止至考试（天） 最短/最长", f"{min(gaps)} / {max(gaps)}"))
    return out


def gap_rows(plan) -> list[list]:
    """Registration gap distribution: days from deadline to exam -> sessions."""
    gaps = Counter(s.gap_days for s in plan.sessions)
    return [[g, n] for g, n in sorted(gaps.items())]


def status_html(plan, ctx, report) -> str:
    """The first screen: is the calendar official, did the plan pass the rule check, what is in it."""
    note = T.provisional_note(plan, ctx)
    years = sorted({d.year for s in plan.sessions for d in (s.registration_deadline, s.exam_date)})
    if note:
        cal = (f'<div class="warn"><b>日历：暂定</b>{esc(note)}。国务院公布后如有调整，将发布调整通知。'
               f'{esc(T.predicted_days_text(ctx))}</div>')
    else:
        cal = (f'<div class="good"><b>日历：正式</b>{esc("、".join(map(str, years)))}年节假日安排均已公布，'
               "考试均安排在法定工作日。</div>")
    hard = [v for v in report.violations if v.hard]
    if report.ok:
        chk = f'<div class="good"><b>规则检查：已通过</b>{len(report.per_rule)}项规则全部满足。</div>'
    else:
        chk = f'<div class="bad"><b>规则检查：未通过</b>{esc(W.WATERMARK.format(n=len(hard)))}（详见文末技术信息）。</div>'
    exams = sorted(s.exam_date for s in plan.sessions)
    span = (f'<div><b>共{len(plan.sessions)}场考试</b>首场{esc(W.day_text(exams[0], plan.year))}，'
            f"末场{esc(W.day_text(exams[-1], plan.year))}。</div>") if exams else ""
    return f'<div class="status">{cal}{chk}{span}</div>'


def check_html(report) -> str:
    hard = [v for v in report.violations if v.hard]
    parts = ['<p>通过规则检查（无违反）</p>' if report.ok
             else f'<p>{esc(W.WATERMARK.format(n=len(hard)))}</p>']
    if hard:
        parts.append(table_html(["场次", "规则", "问题"], [[v.where(), v.rule, v.message] for v in hard], (2,)))
    parts.append(table_html(["规则", "结果"], [[r, "通过" if n == 0 else f"违反{n}处"]
                                                 for r, n in report.per_rule.items()]))
    if report.costs:
        parts.append(table_html(["偏好", "权重", "成本", "加权成本"],
                                [[p, w, c, w * c] for p, (w, c) in report.costs.items()]))
    return "".join(parts)


def summary_html(summary: dict | None) -> str:
    if not summary:
        return "<p>本计划没有求解摘要（summary.json）：它不是本次运行生成的。</p>"
    shown = _steady(summary)
    # every value but a string as summary.json writes it (false, null), never Python's repr (False, None)
    rows = [[k, v if isinstance(v, str) else _compact(v)] for k, v in shown.items()]
    return table_html(["项目", "值"], rows, (1,))


def _steady(v):
    """*v* without the wall-clock keys, at any depth, so that identical runs give the same page; a file's path
    (the scenario's, a started plan's) as its name: the page leaves the office, the planner's folders do not."""
    if isinstance(v, dict):
        return {k: _steady(x) for k, x in v.items() if k not in VOLATILE_SUMMARY_KEYS}
    if isinstance(v, list):
        return [_steady(x) for x in v]
    if isinstance(v, str) and ("/" in v or "\\" in v) and v.lower().endswith((".toml", ".csv", ".xlsx", ".json")):
        return file_name(v)
    return v


def _source_name(source: str) -> str:
    """The plan file's name; a plan the solver made here has none (its ``source`` is ``planner``)."""
    if not source or source == "planner":
        return "本次生成"
    return file_name(source)


def file_name(path: str) -> str:
    """A file's name, whichever system wrote its path (a Windows export read here keeps its backslashes): what a
    page that leaves the office may show of a planner's file."""
    return PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name


def _compact(v) -> str:
    import json

    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def figure_html(stem: str, images: dict[str, bytes]) -> str:
    """One chart, embedded (SVG, else PNG) so the page works when mailed alone."""
    fmt, mime = ("svg", "image/svg+xml") if "svg" in images else ("png", "image/png")
    data = base64.b64encode(images[fmt]).decode("ascii")
    title = esc(CHART_TITLES.get(stem, stem))
    return (f'<figure><img alt="{title}" src="data:{mime};base64,{data}">'
            f"<figcaption>{title}（点击图片可放大；文件 charts/{esc(stem)}.{fmt}）</figcaption></figure>")


def attachments_html(plan, ctx) -> str:
    parts = []
    for att in T.attachments(plan, ctx):
        parts.append(f"<h2>{esc(att.sheet)} {esc(att.title)}</h2>")
        for sec in att.sections:
            if sec.heading:
                parts.append(f"<h3>{esc(sec.heading)}</h3>")
            parts.append(table_html(W.PLAN_HEADERS, T.plan_rows(sec.sessions, plan.year, ctx), (5,)))
        parts.append(f'<p class="notes">{esc(chr(10).join(att.footnotes))}</p>')
    return "".join(parts)


def demand_name(demand) -> str:
    """The demand a page's people rest on, in the planner's words, never a folder: the shipped estimate, a version
    saved on the workbench (``demand/N.toml``: 需求第N版) or a file by its own name; an import says its export."""
    from .demand import default_demand_path

    if not demand.file:
        return "所附需求"
    p = Path(demand.file)
    try:
        if p.resolve() == default_demand_path().resolve():
            return "程序提供的估计"
    except OSError:
        pass
    saved = p.parent.name == "demand" and p.stem.isascii() and p.stem.isdigit()  # the workbench's demand/N.toml
    name = f"需求第{p.stem}版" if saved else f"需求文件“{p.name}”"
    if not demand.estimated and demand.source:
        export = file_name(demand.source)
        if export and export != p.name:
            name += f"（由报名数据“{export}”导入）"
    return name


def what_if_percent(demand, catalogue=None) -> int:
    """The 需求 ± % a what-if scaled *demand* by (0: its file's own figures): what ``demand.scale_candidates``
    recorded when it scaled them."""
    return getattr(demand, "percent", 0)


def demand_note(demand, catalogue) -> str:
    """The sentence before the figures: which demand, scaled by which 需求 ± %, and which figures are estimates."""
    origin, name = demand_origin(demand), demand_name(demand)
    pct = what_if_percent(demand, catalogue)
    scaled = f"，并按情景将各类别预计考生调整{pct:+d}%" if pct else ""
    if demand.estimated:
        basis = "依据其他城市公开数据推算" if name == "程序提供的估计" else "估计"
        return f"以下人数为估计值（{name}，{basis}{scaled}），仅供安排场次参考。"
    if origin["mixed"]:
        seats = f"（{'；'.join(origin['seat_bases'])}）" if origin["seat_bases"] else ""
        return (f"预计考生依据本局报名数据（{name}{scaled}）；{origin['estimated_parts']}仍为估计{seats}，"
                "由此算出的已安排人数、候考天数和结转人数也含估计成分，仅供安排场次参考。")
    return f"以下人数依据本局报名数据推算（{name}{scaled}）。"


def demand_html(plan, ctx) -> str:
    """考生与考位: per category and per site and month, people rather than sessions ("" without a demand file)."""
    from .queueing import CATEGORY_HEADER, category_rows, evaluate, site_month_candidates

    load = evaluate(plan, ctx)
    if load is None:
        return ""
    s = load.summary()
    demand = ctx.demand.demand
    label = demand_origin(demand)["label"]
    note = demand_note(demand, ctx.catalogue)
    head, rows = site_month_candidates(load, ctx)
    cat_rows = category_rows(load, plan, ctx)
    return (f"<h2>考生与考位（{esc(label)}）</h2><p>{esc(note)}全年预计考生{s['expected_candidates']}人，"
            f"考位{s['seats']}个，已安排{s['seated']}人，结转下年{s['unserved']}人；最长候考{s['max_wait_days']}天，"
            f"已安排的考生中95%候考不超过{s['p95_wait_days']}天（结转下年的考生不在其中）。</p>"
            + table_html(CATEGORY_HEADER, cat_rows, (0, 1))
            + f"<h3>各考点每月安排考生/考位（人，{esc(label)}）</h3>" + table_html(head, rows, keep=(0,)))


def report_html(plan, ctx, report, *, summary: dict | None = None, charts=None,
                class_days: int = T.DEFAULT_CLASS_DAYS, flag: str = "", revision: list | None = None) -> str:
    """The whole page as text (built in memory; the caller writes it atomically). *revision*: the rows of
    the revision notice's table (planner.publish.revision) when the plan revises a published one."""
    from .publish.revision import HEADERS as REVISION_HEADERS

    charts = charts or {}
    title = f"运城市{plan.year}年安全培训考试计划" + ("（调整后）" if revision else "")
    start, stop = ctx.window
    header, rows = site_month_rows(plan, ctx)
    body = [
        f'<div class="flag">{esc(flag)}</div>' if flag else "",
        f"<h1>{esc(title)}</h1>",
        status_html(plan, ctx, report),
        (f"<h2>本次调整（{len(revision)}个期次，详见调整通知 revision.docx）</h2>"
         + table_html(REVISION_HEADERS, revision, (3, 6, 7))) if revision else "",
        attachments_html(plan, ctx),
        "<h2>全年考试日历</h2>" + (figure_html("calendar", charts["calendar"]) if "calendar" in charts else ""),
        "<h2>关键指标</h2>", '<div class="kpis">' + "".join(kpi_html(k, v) for k, v in kpis(plan, ctx)) + "</div>",
        "<h3>各考点每月场次</h3>", table_html(header, rows),
        demand_html(plan, ctx),
        *[figure_html(stem, images) for stem, images in charts.items() if stem != "calendar"],
        "<h3>报名间隔分布（报名截止日至考试日的天数）</h3>",
        table_html(["天数", "场次"], gap_rows(plan)),
        f"<h2>培训计划上传</h2><p>{esc(W.UPLOAD_RULE)}；按培训{class_days}天、考试前一天结课推算最晚开班与上传日期。</p>",
        table_html(W.SCHEDULE_HEADERS, T.schedule_rows(plan, ctx, class_days)),
        f"<h2>{esc(W.DIRECTORY_SHEET)} {esc(W.DIRECTORY_TITLE)}</h2>",
        table_html(W.DIRECTORY_HEADERS, T.directory_rows(ctx.catalogue), (2, 4), wide=(2,), keep=(0, 4, 5)),
        "<details><summary>技术信息（供技术人员查看）</summary>",
        f"<p>计划文件：{esc(_source_name(plan.source))} · 计划年度{plan.year}年 · "
        f"排考区间{W.day_text(start, plan.year)}至{W.day_text(stop, plan.year)} · 节假日安排：{'正式' if ctx.calendar.is_official() else '暂定'}</p>",
        "<h3>规则检查（规则名为程序内部名称）</h3>", check_html(report),
        "<h3>求解摘要（summary.json）</h3>", summary_html(summary),
        "</details>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(b for b in body if b) + f"\n<script>{SCRIPT}</script>\n</body></html>\n")
