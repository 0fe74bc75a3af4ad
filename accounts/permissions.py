"""The account rules the pages, the API and the services share (see `core.permissions`)."""

from core.permissions import Rule

MANAGE_ACCOUNTS = Rule("accounts.access.can_manage_accounts", "只有机关党委和工委工作人员可以管理账号。")
