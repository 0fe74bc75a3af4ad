"""The branch rules the pages, the API and the services share (see `core.permissions`)."""

from accounts.scope import scope_of
from core.permissions import Rule


def _staff_or_committee(user) -> bool:
    return scope_of(user).is_staff_or_committee


def _gongwei(user) -> bool:
    return scope_of(user).is_gongwei


def _organ_staff(user) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


def _manages_organ_of(user, branch) -> bool:
    return scope_of(user).can_manage_organ(branch.organ_id)


SEE_STAFF_PAGES = Rule(_staff_or_committee, "您的账号无权访问此页面。")
SEARCH = Rule(_staff_or_committee, "您的账号无权查找支部和党员。")
ROSTER_FILES = Rule(_staff_or_committee, "您的账号无权导入或导出党员名册。")

CREATE_BRANCH = Rule(_organ_staff, "只有机关党委和工委工作人员可以成立支部。")
DISSOLVE_BRANCH = Rule(_manages_organ_of, "只有机关党委和工委工作人员可以撤销支部。")
DELETE_BRANCH = Rule(_manages_organ_of, "只有机关党委和工委工作人员可以删除支部。")

SET_REQUIREMENTS = Rule(_gongwei, "只有工委工作人员可以设置组织生活要求。")
GRANT_EXEMPTION = Rule("branches.orglife.can_grant_exemption", "只有本机关党委或工委工作人员可以批准豁免。")
REVOKE_EXEMPTION = Rule("branches.orglife.can_grant_exemption", "只有本机关党委或工委工作人员可以撤销豁免。")
DELETE_TRAINING = Rule("branches.orglife.can_record_training", "您无权删除该学时记录。")
