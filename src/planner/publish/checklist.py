"""发布前核对: what the planner must confirm before the set leaves the office.

A note meant for the planner (a 附件1 list carried over from an earlier year and not yet confirmed) never appears in a
published file: it is an item here. The command line writes the items into ``发布前核对.txt`` in the set
and one warning line on stderr, and still publishes (the main job must work on a fresh machine); the
web workbench can show the same items as a list to tick before its 发布 (:func:`checklist_items`).
"""
from __future__ import annotations

from . import tables as T

#: the checklist's file name in the output set; it is the one file of the set not meant to be sent out
CHECKLIST_FILE = "发布前核对.txt"
HEADER = "发布前核对（仅供计划员核对，本文件不对外发布）"


def checklist_items(plan, ctx) -> list[str]:
    """The items to confirm before publishing, in Chinese; empty when nothing is pending."""
    cat = ctx.catalogue
    items = []
    if cat.materials_review:
        items.append(f"附件1“{cat.materials_title}”{cat.materials_review}；确认后在 constraints/materials/"
                     f"{plan.year}.toml 中记录（confirmed = true），再重新发布。")
    note = T.provisional_note(plan, ctx)
    if note:
        items.append(f"{note}：国务院公布节假日安排后，须核对各期日期并重新发布（文件中已注明“暂定”）。")
    return items


def checklist_text(items: list[str]) -> str:
    lines = [HEADER, ""] + [f"{k}. {text}" for k, text in enumerate(items, 1)]
    return "\n".join(lines) + "\n"
