"""Publishing a plan: every output built in memory first, then written as one set (see planner.outset).

A plan that fails ``check`` is refused unless the caller allows it; then every output
carries the watermark, so it cannot pass for the official calendar.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import PlannerError
from ..plan import check_publishable
from . import tables as T
from . import wording as W


class CheckFailedError(PlannerError):
    """The plan breaks hard rules and was not published (exit 1, like ``planner check``)."""

    exit_code = 1


def watermark(report) -> str:
    return "" if report.ok else W.WATERMARK.format(n=sum(1 for v in report.violations if v.hard))


def build_outputs(plan, ctx, *, report=None, summary: dict | None = None, allow_violations: bool = False,
                  class_days: int = T.DEFAULT_CLASS_DAYS, previous_ics: dict[str, bytes] | None = None,
                  charts: bool = True, notice_pdf: bool = False, template: str | None = None,
                  template_name: str = "notice_body.md.j2", issued=None, revision_of=None,
                  revision_reasons: dict | None = None, wall_calendar: bool = False,
                  workers=None, document_number: str = "", sections=None) -> dict[str, bytes]:
    """Relative path -> bytes of every published file; raises before anything is written.

    notice.docx is always built; notice.pdf (LibreOffice, seconds) only with *notice_pdf*, so
    ``planner plan`` stays fast and ``planner publish`` makes it. With *revision_of* (the plan as
    published before) the set adds revision.docx/.xlsx listing the changed sessions; *wall_calendar*
    adds calendar_a3.pdf (one A3 page, about a second or two to draw). *workers*
    (:class:`planner.publish.workers.PublishWorkers`) build the charts and the documents in parallel;
    the bytes are the same as without them. The 发文字号 is recorded in plan.json (a later 调整通知 cites it).

    *issued* is the 成文日期 and the date of every file (default today; a future day is refused);
    *document_number* the 发文字号's serial number ("" leaves it blank to fill in); *sections* a file of the
    bureau's own sections (default ``constraints/notice/sections/YEAR.md`` when there is one). What is
    missing becomes an item of ``发布前核对.txt`` (:mod:`planner.publish.checklist`), never text in the files.
    """
    from ..check import check_plan
    from .csvfiles import csv_files
    from .jsonout import plan_json_bytes
    from .workers import chart_files, document_files

    check_publishable(plan)
    if class_days < 1:
        raise PlannerError(f"class length must be at least 1 day, got {class_days}", field="class-days")
    report = report if report is not None else check_plan(plan, ctx)
    if not report.ok and not allow_violations:
        hard = [v for v in report.violations if v.hard]
        raise CheckFailedError(f"plan fails check ({len(hard)} violation(s); first: {hard[0].where()} "
                               f"{hard[0].rule}: {hard[0].message}); fix it, or publish it marked as such "
                               "with --allow-violations")
    flag = watermark(report)
    from .letterhead import check_issued, read_sections
    from .notice_docx import Paper

    issued = check_issued(issued)
    paper = Paper(issued=issued, document_number=document_number, sections=read_sections(sections, plan.year))
    revised = None
    if revision_of is not None:  # the re-issued notice says it is revised, and which 期次
        from .revision import revised_notice_template

        template, revised = revised_notice_template(template, revision_of, plan, ctx, revision_reasons)
    if workers is not None:
        workers.submit(plan, ctx, flag, class_days=class_days, previous_ics=previous_ics, template=template,
                       template_name=template_name, paper=paper, charts=charts)
    files = {f"csv/{name}": data for name, data in csv_files(plan, ctx, class_days, flag).items()}
    from .revision import notice_title

    title = notice_title(plan.year, template)  # kept in plan.json: a later 调整通知 cites it exactly
    from .letterhead import load_letterhead

    doc_no = load_letterhead().document_number(plan.year, document_number) if document_number else None
    files["plan.json"] = plan_json_bytes(plan, ctx, report, class_days, flag, {"title": title, "doc_no": doc_no})
    documents = workers.result("documents") if workers is not None else None
    if documents is None:  # serial, or the worker could not: the same function, here
        documents = document_files(plan, ctx, flag, class_days, previous_ics, template, template_name, paper)
    files.update(documents)
    if revision_of is not None:
        from .revision import revision_files

        files.update(revision_files(revision_of, plan, ctx, revision_reasons or {}, flag, issued))
    # LibreOffice converts the notice (and the revision) while the charts and the report are drawn here
    pending, subs = _start_pdfs(files, issued) if notice_pdf else ([], {})
    try:
        later: dict[str, bytes] = {}
        images = {}
        if charts:
            images = workers.result("charts") if workers is not None else None
            if images is None:
                images = chart_files(plan, ctx, flag)
            for stem, by_fmt in images.items():
                later.update({f"charts/{stem}.{fmt}": data for fmt, data in by_fmt.items()})
        if wall_calendar:
            from ..charts.wall_calendar import wall_calendar_pdf

            later["calendar_a3.pdf"] = wall_calendar_pdf(plan, ctx, flag)
        from ..report import report_html

        later["report.html"] = report_html(plan, ctx, report, summary=summary, charts=images, class_days=class_days,
                                           flag=flag, revision=revised).encode("utf-8")
        official_fonts = _finish_pdfs(pending, subs, files)
    finally:
        for _, p in pending:
            p.abandon()
    files.update(later)  # after the PDFs, in the order the set has always had
    from .checklist import CHECKLIST_FILE, checklist_items, checklist_text

    items = checklist_items(plan, ctx, document_number=document_number, sections=paper.sections,
                            official_fonts=official_fonts)
    if items:  # the planner's notes go here, never into the files above
        files[CHECKLIST_FILE] = checklist_text(items).encode("utf-8")
    return files


def _start_pdfs(files: dict[str, bytes], issued) -> tuple[list, dict]:
    """notice.pdf (and revision.pdf) under way, side by side, each in a LibreOffice of its own; and the stand-ins
    for the official fonts missing here."""
    from .notice_docx import PendingPdf, installed_fonts, substitutes
    from .pdfconvert import soffice

    subs = substitutes(installed_fonts()) if soffice() else {}
    pending = []
    try:
        for stem in ("notice", "revision"):
            if f"{stem}.docx" in files:
                pending.append((stem, PendingPdf(files[f"{stem}.docx"], issued, stem, subs)))
    except BaseException:
        for _, p in pending:
            p.abandon()
        raise
    return pending, subs


def _finish_pdfs(pending: list, subs: dict, files: dict[str, bytes]) -> bool | None:
    """The PDFs into *files*, in order, up to the first that could not be made (its note said once); whether they
    use the official fonts (None: no PDF)."""
    official_fonts = None
    for stem, p in pending:
        pdf, note = p.result()
        if pdf is None:
            print(f"note: {note}", file=sys.stderr)
            break
        files[f"{stem}.pdf"] = pdf
        official_fonts = not subs
    if subs and official_fonts is False:  # said once, whatever the number of PDFs
        print("note: the official fonts are not installed here: the PDF uses " + ", ".join(
            f"{v} for {k}" for k, v in subs.items()) + " (the .docx keeps the official fonts)", file=sys.stderr)
    return official_fonts


def read_previous_ics(out: Path) -> dict[str, bytes]:
    """The calendars already in *out*, so revised events get a higher SEQUENCE."""
    found = {}
    for p in [out / "plan.ics", *sorted((out / "ics").glob("*.ics"))]:
        if p.is_file():
            try:
                found[p.relative_to(out).as_posix()] = p.read_bytes()
            except OSError:
                pass
    return found


def publish_all(plan, ctx, out, *, result=None, report=None, summary: dict | None = None,
                allow_violations: bool = False, class_days: int = T.DEFAULT_CLASS_DAYS, charts: bool = True,
                wait: float = 0.0, **options) -> list[Path]:
    """Write the whole publication set into *out* as one transaction; the final paths of the files.

    *out* is a folder (a transaction of its own: the set appears at once or not at all; another run
    writing there makes this one wait up to *wait* seconds, then refuse) or an open
    :class:`planner.outset.OutputSet` of a command that writes more files into the same set.
    *options* go to :func:`build_outputs`.
    """
    from ..outset import OutputSet

    kw = dict(result=result, report=report, summary=summary, allow_violations=allow_violations,
              class_days=class_days, charts=charts, **options)
    if isinstance(out, OutputSet):
        return _publish_into(out, plan, ctx, **kw)
    with OutputSet(out, "publish", wait=wait) as tx:
        return _publish_into(tx, plan, ctx, **kw)


def _publish_into(tx, plan, ctx, *, result=None, summary=None, **options) -> list[Path]:
    if summary is None and result is not None:
        from ..runinfo import summary_dict

        summary = summary_dict(result, ctx)
    # the calendars of the current set (read under the set's lock), so revised events get a higher SEQUENCE
    previous_ics = options.pop("previous_ics", None) or read_previous_ics(tx.target)
    files = build_outputs(plan, ctx, summary=summary, previous_ics=previous_ics, **options)
    return [tx.write(rel, data, by="publish") for rel, data in sorted(files.items())]


def read_summary(path: Path) -> dict | None:
    """A run's summary.json, if readable (the report shows it); None otherwise (bounded like every input)."""
    from ..textio import read_input_bytes

    try:
        doc = json.loads(read_input_bytes(path).decode("utf-8"))
    except (PlannerError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return None
    return doc if isinstance(doc, dict) else None
