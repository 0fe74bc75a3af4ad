"""The project rules the pages, the API and the services share (see `core.permissions`); who counts as a
branch writer or an organ reviewer is decided once in `projects.rules`."""

from accounts.scope import scope_of
from core.permissions import Rule


def _staff_or_committee(user) -> bool:
    return scope_of(user).is_staff_or_committee


SEE_PROJECTS = Rule("projects.access.can_see_projects", "您的账号无权查看支部项目。")
FILE_PROJECTS = Rule("projects.access.has_filing_branches", "只有支部书记、支委或上级党组织工作人员可以填报项目。")
REVIEW_PROJECT = Rule("projects.rules.is_organ_reviewer", "只有本机关党委或工委工作人员可以审核该项目。")
FILE_PROJECT = Rule("projects.rules.is_gongwei", "只有工委工作人员可以备案。")
RETURN_AT_FILING = Rule("projects.rules.is_gongwei", "只有工委工作人员可以在备案时退回项目。")
SET_YEAR_RULES = Rule("projects.rules.is_gongwei", "只有工委工作人员可以设置年度验收规则。")

SEE_TOPICS = Rule(_staff_or_committee, "您的账号无权查看党委出题。")
PUBLISH_TOPICS = Rule("projects.access.can_publish_any_topics", "只有机关党委和工委工作人员可以出题。")
EDIT_TOPICS = Rule("projects.rules.can_publish_topics", "您无权修改该选题。")

RESCHEDULE_MILESTONES = Rule("projects.rules.is_branch_writer", "只有本支部书记或支委可以调整项目节点。")
REPORT_PROGRESS = Rule("projects.rules.is_branch_writer", "只有本支部书记或支委可以填报节点进展。")
EDIT_TASK = Rule("projects.rules.is_branch_writer", "只有本支部书记或支委可以修改任务。")
DELETE_TASK = Rule("projects.rules.is_branch_writer", "只有本支部书记或支委可以删除任务。")
UPDATE_TASK_PROGRESS = Rule("projects.progress.can_update_task", "只有任务责任人或本支部书记、支委可以更新任务进展。")

SUPERVISE = Rule("projects.rules.is_organ_reviewer", "只有本机关党委或工委工作人员可以督查督办。")
ANSWER_SUPERVISION = Rule("projects.progress.is_branch_committee", "只有本支部书记或支委可以答复督办。")

ASSIGN_EXPERTS = Rule("projects.rules.is_organ_reviewer", "只有本机关党委或工委工作人员可以分配评审专家。")
SEE_EXPERT_QUEUE = Rule("projects.rules.is_expert", "只有评审专家有待评审项目。")
