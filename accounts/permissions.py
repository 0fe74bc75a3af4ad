"""The account rules the pages, the API and the services share (see `core.permissions`)."""

from core.permissions import Rule

MANAGE_ACCOUNTS = Rule("accounts.access.can_manage_accounts", "只有机关党委和工委工作人员可以管理账号。")
SEE_ROLE_HISTORY = Rule(
    "accounts.access.can_see_role_history", "只有工委工作人员和账号本人可以查看该账号的角色变更记录。"
)
