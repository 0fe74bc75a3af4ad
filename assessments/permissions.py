"""The assessment rules the pages, the API and the services share (see `core.permissions`)."""

from accounts.scope import scope_of
from core.permissions import Rule


def _staff_or_committee(user) -> bool:
    return scope_of(user).is_staff_or_committee


def _gongwei(user) -> bool:
    return scope_of(user).is_gongwei


# 考核方案、评分、加减分
SEE_SCHEMES = Rule("assessments.schemes.can_view_schemes", "只有工委和机关党委工作人员可以查看考核方案。")
EDIT_SCHEMES = Rule("assessments.schemes.can_edit_schemes", "只有工委工作人员可以修改考核方案。")
SCORE_BRANCH = Rule("assessments.scores.can_score", "只有工委或本机关党委工作人员可以为该支部评分。")
SELF_SCORE = Rule("assessments.scores.can_self_score", "只有本支部的支部委员可以填写支部自评。")
SEE_ADJUSTMENTS = Rule("assessments.scores.scores_some_organ", "只有工委和机关党委工作人员可以查看加减分。")

# 一岗双责报告
SEE_REPORT_OVERVIEW = Rule(_staff_or_committee, "只有支部书记、支委和上级党组织工作人员可以查看报告情况。")
SEE_REPORT_PERIODS = Rule(_staff_or_committee, "您的账号无权查看报告期设置。")
CHANGE_DUE_DATE = Rule(_gongwei, "只有工委工作人员可以调整报告截止日期。")
FILE_REPORT = Rule("assessments.reports.can_file", "只有本人或本支部书记、支委可以填报该报告。")
SUBMIT_REPORT = Rule("assessments.reports.can_file", "只有本人或本支部书记、支委可以提交该报告。")
REVIEW_REPORT = Rule("assessments.reports.can_review", "只有本机关党委或工委工作人员可以审阅该报告。")

# 书记述职
WRITE_SECRETARY_REPORT = Rule("assessments.secretary.can_write", "只有本支部书记、支委可以填写书记述职。")
SUBMIT_SECRETARY_REPORT = Rule("assessments.secretary.can_write", "只有本支部书记、支委可以提交书记述职。")
EVALUATE_SECRETARY_REPORT = Rule("assessments.secretary.can_evaluate", "只有本机关党委或工委工作人员可以评议书记述职。")
RETURN_SECRETARY_REPORT = Rule("assessments.secretary.can_evaluate", "只有本机关党委或工委工作人员可以退回书记述职。")

# 民主评议、党员积分、问题整改
SEE_APPRAISALS = Rule(_staff_or_committee, "您的账号无权查看民主评议情况。")
RECORD_APPRAISAL = Rule("assessments.appraisal.can_record", "只有本支部书记、支委或上级党组织可以录入民主评议结果。")
REOPEN_APPRAISAL = Rule("assessments.appraisal.can_reopen", "只有本机关党委或工委工作人员可以退回民主评议结果。")
SET_POINT_RULES = Rule(_gongwei, "只有工委工作人员可以设置党员积分规则。")
SEE_POINT_RULES = Rule(
    lambda user: scope_of(user).is_gongwei or scope_of(user).is_organ_staff,
    "只有工委和机关党委工作人员可以查看积分规则设置。",
)
SEE_POINTS = Rule(_staff_or_committee, "您的账号无权查看各支部党员积分情况。")
OWN_BRANCH_DUTIES = Rule(
    lambda user: scope_of(user).is_branch_committee, "只有支部书记、支委办理本支部的民主评议、党员积分和书记述职。"
)
SEE_LEDGER = Rule(_staff_or_committee, "您的账号无权查看问题整改台账。")

# 星级评定与记分表
RUN_RATINGS = Rule("assessments.ratings.can_run", "只有机关工委可以开展星级评定。")
EXPORT_SCORECARDS = Rule("assessments.scorecards.can_export", "只有工委和机关党委工作人员可以导出考核结果。")
PUBLISH_RATINGS = Rule("assessments.ratings.can_run", "只有机关工委可以发布星级评定结果。")
