"""发布前核对: what the planner must confirm before the set leaves the office.

A note meant for the planner (a 附件1 list carried over from an earlier year and not yet confirmed, a
发文字号 not yet given, the bureau's own sections still the shipped placeholder) never appears in a
published file: it is an item here. The command line writes the items into ``发布前核对.txt`` in the set
and one warning line on stderr, and still publishes (the main job must work on a fresh machine); the
web workbench can show the same items as a list to tick before its 发布 (:func:`checklist_items`).
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..regulation import pending_items
from . import tables as T

#: the checklist's file name in the output set; it is the one file of the set not meant to be sent out
CHECKLIST_FILE = "发布前核对.txt"
HEADER = "发布前核对（仅供计划员核对，本文件不对外发布）"


def checklist_items(plan, ctx, *, document_number: str = "", sections: tuple = (),
                    official_fonts: bool | None = None) -> list[str]:
    """The items to confirm before publishing, in Chinese; empty when nothing is pending.

    *document_number* is the 发文字号 as filled in ("" = a blank is printed for it); *sections* the bureau's
    own sections as used (empty: none given, the notice has the generated ones only); *official_fonts* False when
    notice.pdf was made with substitute fonts (None: no PDF made, nothing to say).
    """
    cat = ctx.catalogue
    items = []
    if cat.materials_review:
        # a data file's step: the planner hands it to whoever keeps the files (the workbench edits no data file)
        items.append(f"附件1“{cat.materials_title}”{cat.materials_review}；确认后请技术人员在 constraints/materials/"
                     f"{plan.year}.toml 中记录（confirmed = true），再重新发布。")
    # the regulation's facts not checked against its text (constraints/regulation.toml, status 待核定)
    items += pending_items(cat, ctx.window)
    note = T.provisional_note(plan, ctx)
    if note:
        items.append(f"{note}：国务院公布节假日安排后，须核对各期日期并重新发布（文件中已注明“暂定”）。"
                     + T.predicted_days_text(ctx))
    if not document_number:
        # the workbench's planner and the command line's read the same words: the page first, the option in brackets
        items.append("发文字号尚未填写：通知版头的字号留有空位；取得字号后在“发布”页填写（命令行为 --doc-number）"
                     "并重新发布。")
    if not sections:
        items.append(f"本局{plan.year}年度工作要求（通知正文中本局自拟的各节）尚未提供：通知目前只有考试安排等各节；"
                     f"请把各节文字交技术人员，按 constraints/notice/sections/TEMPLATE.md 的格式写成 {plan.year}.md"
                     "（命令行为 --sections FILE）后重新发布。")
    if official_fonts is False:
        items.append("本机未安装公文字体（方正小标宋简体、仿宋_GB2312、黑体）：notice.pdf 使用替代字体，"
                     "正式印发前请在装有公文字体的电脑上由 notice.docx 重新生成 PDF。")
    return items


def checklist_text(items: list[str]) -> str:
    lines = [HEADER, ""] + [f"{k}. {text}" for k, text in enumerate(items, 1)]
    return "\n".join(lines) + "\n"


def warn_if_listed(out: Path) -> None:
    """After a set is committed: one warning line on stderr when it carries a checklist (a failed run says
    only its error)."""
    if (Path(out) / CHECKLIST_FILE).is_file():
        print(f"warning: items to confirm before the notice goes out: see {CHECKLIST_FILE} in {out}", file=sys.stderr)
