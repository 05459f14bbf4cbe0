"""The workbench's pages, one router per page (年度计划, 任务, 调整/情景, 重新排期/固定一场, 修改一场, 对比, 检查, 发布, 需求与考位)."""
from __future__ import annotations

from . import check, compare, demand, edit, jobs, plan, publish, replan, scenario, versions

ROUTERS = [plan.router, jobs.router, scenario.router, replan.router, edit.router, compare.router, check.router, publish.router,
           versions.router, demand.router]
