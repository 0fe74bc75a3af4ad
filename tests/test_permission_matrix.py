"""Permission matrix: every page of the portal × every role → the answer to a GET.

The table `MATRIX` below is the contract. Its columns are the roles, in this order:

    anon   anonymous visitor
    mem    a party member of branch_a (no staff role)
    sec_b  secretary of another branch (branch_b, organ_b)
    sec    secretary of branch_a
    org_b  机关党委 of another organ (organ_b)
    org    机关党委 of organ_a
    gw     工委
    exp    评审专家 assigned to the world's project (no organisation role, no member record)

Every record the URLs point at lives in branch_a / organ_a (see tests/matrix/world.py).
A row is eight status codes; a single code means the same for all roles. No GET, whoever asks, may
write a row (sessions aside). The row of a URL that
writes (POST-only, or its name says create/edit/delete/submit/approve/return/publish/…) reads
"GET | POST": the GET answers, then what an empty POST by each role gives, where "ok" marks a
role that may act (not exercised here: acting is the feature tests' business, and it would change
the world under the next rows). Refused POSTs (to the log-in page, 403, 404, 405) must also
change nothing in the database: PostgreSQL's per-transaction row counters must not move.

新增页面须加入权限矩阵: a URL of the portal missing from the table fails `test_every_url_is_in_the_matrix`.
"""

from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.matrix.world import ASSESSMENT_YEAR, NOW, PROJECT_YEAR, build_world

LOGIN_URL = "/accounts/login/"

ROLES = ["anon", "mem", "sec_b", "sec", "org_b", "org", "gw", "exp"]

# Not part of the page matrix: the API has its own role tests, the admin is Django's, and the
# health check and the icon are public by design (tests/test_health.py, tests/test_favicon.py).
SKIPPED_PREFIXES = ("api/", "admin/", "healthz", "static/", "media/", "favicon.ico")

# Which world record (or literal year) fills each URL keyword argument. A token argument takes
# the record's token, any other argument its primary key; digits are taken as they are.
URL_ARGS = {
    "branches:user_detail": "pk=member_user",
    "branches:role_revoke": "pk=secretary_user role_pk=secretary_role",
    "branches:password_reset": "pk=member_user",
    "branches:toggle_active": "pk=member_user",
    "branches:tree_organ": "pk=organ",
    "branches:branch_detail": "pk=branch",
    "branches:branch_edit": "pk=branch",
    "branches:branch_dissolve": "pk=branch",
    "branches:branch_delete": "pk=branch",
    "branches:term_create": "branch_pk=branch",
    "branches:term_edit": "branch_pk=branch pk=term",
    "branches:group_create": "branch_pk=branch",
    "branches:group_edit": "branch_pk=branch pk=group",
    "branches:group_delete": "branch_pk=branch pk=group",
    "branches:member_detail": "pk=member",
    "branches:member_edit": "pk=member",
    "branches:rules_edit": "pk=org_rules",
    "branches:meeting_detail": "pk=meeting",
    "branches:meeting_edit": "pk=meeting",
    "branches:meeting_delete": "pk=meeting",
    "branches:meeting_attachment": "token=meeting_file",
    "branches:branch_calendar": "pk=branch",
    "branches:requirement_edit": "pk=requirement",
    "branches:requirement_delete": "pk=requirement",
    "branches:exemption_create": "branch_pk=branch",
    "branches:exemption_delete": "pk=exemption",
    "branches:training_delete": "pk=training",
    "projects:project_detail": "pk=project",
    "projects:project_edit": "pk=project",
    "projects:project_submit": "pk=project",
    "projects:project_approve": "pk=project",
    "projects:project_return": "pk=project",
    "projects:project_file": "pk=project",
    "projects:milestone_reschedule": "pk=milestone",
    "projects:topic_list_detail": "pk=topic_list",
    "projects:topic_list_edit": "pk=topic_list",
    "projects:topic_list_publish": "pk=topic_list",
    "projects:topic_list_reopen": "pk=topic_list",
    "projects:topic_create": "list_pk=topic_list",
    "projects:topic_edit": "pk=topic",
    "projects:milestone_progress": "pk=milestone",
    "projects:evidence_download": "token=evidence",
    "projects:task_create": "project_pk=project",
    "projects:task_edit": "pk=task",
    "projects:task_delete": "pk=task",
    "projects:task_update": "pk=task",
    "projects:supervision_create": "project_pk=project",
    "projects:duban_answer": "pk=duban",
    "projects:acceptance_request": "pk=project",
    "projects:acceptance_score": "pk=project",
    "projects:acceptance_finalize": "pk=project",
    "projects:top_ten_toggle": "pk=project",
    "projects:year_config[year]": f"year={PROJECT_YEAR}",
    "projects:expert_assign": "pk=project",
    "projects:expert_withdraw": "pk=expert_seat",
    "assessments:report_detail": "pk=report",
    "assessments:report_submit": "pk=report",
    "assessments:report_review": "pk=report",
    "assessments:report_edit": "period_pk=period member_pk=leader",
    "assessments:period_edit": "pk=period",
    "assessments:problem_detail": "pk=problem",
    "assessments:problem_edit": "pk=problem",
    "assessments:problem_start": "pk=problem",
    "assessments:problem_close": "pk=problem",
    "assessments:problem_verify": "pk=problem",
    "assessments:problem_reopen": "pk=problem",
    "assessments:scheme_detail": "pk=scheme",
    "assessments:scheme_edit": "pk=scheme",
    "assessments:scheme_copy": "pk=scheme",
    "assessments:scheme_new_version": "pk=scheme",
    "assessments:dimension_create": "pk=scheme",
    "assessments:dimension_edit": "pk=dimension",
    "assessments:dimension_delete": "pk=dimension",
    "assessments:indicator_create": "pk=scheme",
    "assessments:indicator_edit": "pk=indicator",
    "assessments:indicator_delete": "pk=indicator",
    "assessments:adjustment_item_create": "pk=scheme",
    "assessments:adjustment_item_edit": "pk=item",
    "assessments:adjustment_item_delete": "pk=item",
    "assessments:score_cell": "branch_pk=branch indicator_pk=indicator",
    "assessments:self_score": "branch_pk=branch",
    "assessments:adjustment_delete": "pk=adjustment",
    "assessments:appraisal_detail": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:appraisal_open": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:appraisal_finalize": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:appraisal_reopen": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:point_rules": f"year={ASSESSMENT_YEAR}",
    "assessments:point_rule_create": f"year={ASSESSMENT_YEAR}",
    "assessments:point_rule_edit": "pk=point_rule",
    "assessments:point_rule_delete": "pk=point_rule",
    "assessments:points_branch": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:point_entry_add": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:points_member": f"member_pk=member year={ASSESSMENT_YEAR}",
    "assessments:point_entry_approve": "pk=point_entry",
    "assessments:point_entry_reject": "pk=point_entry",
    "assessments:secretary_report": f"branch_pk=branch year={ASSESSMENT_YEAR}",
    "assessments:secretary_report_evaluate": "pk=secretary_report",
    "assessments:secretary_report_return": "pk=secretary_report",
    "assessments:secretary_attachment": "token=secretary_file",
    "assessments:run_detail": "pk=run",
    "assessments:run_status": "pk=run",
    "assessments:run_publish": "pk=run",
    "assessments:result_detail": "pk=result",
    "assessments:scorecard_request": "run_pk=run",
    "assessments:scorecard_detail": "pk=export",
    "assessments:scorecard_download": "pk=export",
    "assessments:scorecard_retry": "pk=export",
    "notifications:read": "pk=notification",
}

# Query strings for pages that pick their branch from one: without it they only redirect to a
# chooser, and the row would test nothing.
URL_QUERY = {
    "branches:member_create": "branch=branch",
    "branches:meeting_create": "branch=branch kind=committee",
    "branches:training_create": "branch=branch",
    "assessments:problem_create": "branch=branch",
    "branches:branch_search": "purpose=visible",
    "branches:member_search": "purpose=unlinked",
    "branches:group_options": "branch=branch",
}

# POST bodies for views that validate their input before they check who asks: an empty POST
# would be turned away for the wrong reason.
POST_DATA = {
    "assessments:run_compute": {"year": str(PROJECT_YEAR)},
}

# Columns: anon mem sec_b sec org_b org gw exp (see the top of the file).
MATRIX: dict[str, str] = {
    "home": "302 200 200 200 200 200 200 200",
    "open_year": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "accounts:login": "200 302 302 302 302 302 302 302",
    "accounts:logout": "405 | ok",
    "accounts:password_change": "302 200 200 200 200 200 200 200 | 302  ok  ok  ok  ok  ok  ok  ok",
    "accounts:password_done": "302 200 200 200 200 200 200 200 | 302 405 405 405 405 405 405 405",
    "accounts:my_account": "302 200 200 200 200 200 200 200",
    "branches:user_list": "302 403 403 403 200 200 200 403",
    "branches:user_create": "302 403 403 403 200 200 200 403 | 302 403 403 403  ok  ok  ok 403",
    "branches:user_detail": "302 403 403 403 404 200 200 403",
    "branches:role_revoke": "302 405 405 405 405 405 405 405 | 302 403 403 403 404  ok  ok 403",
    "branches:password_reset": "302 405 405 405 405 405 405 405 | 302 403 403 403 404  ok  ok 403",
    "branches:toggle_active": "302 405 405 405 405 405 405 405 | 302 403 403 403 404  ok  ok 403",
    "branches:branch_search": "302 403 200 200 200 200 200 403",
    "branches:member_search": "302 403 200 200 200 200 200 403",
    "branches:group_options": "302 403 200 200 200 200 200 403",
    "branches:tree": "302 403 200 200 200 200 200 403",
    "branches:tree_organ": "302 403 404 200 404 200 200 403",
    "branches:branch_list": "302 403 200 200 200 200 200 403",
    "branches:branch_create": "302 403 403 403 200 200 200 403 | 302 403 403 403  ok  ok  ok 403",
    "branches:branch_detail": "302 404 404 200 404 200 200 404",
    "branches:branch_edit": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:branch_dissolve": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "branches:branch_delete": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "branches:term_create": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:term_edit": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:group_create": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:group_edit": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:group_delete": "302 405 405 405 405 405 405 405 | 302 404 404  ok 404  ok  ok 404",
    "branches:member_list": "302 403 200 200 200 200 200 403",
    "branches:member_create": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "branches:member_detail": "302 200 404 200 404 200 200 404",
    "branches:member_edit": "302 403 404 200 404 200 200 404 | 302 403 404  ok 404  ok  ok 404",
    "branches:warnings": "302 403 200 200 200 200 200 403",
    "branches:rules_list": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "branches:rules_create": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "branches:rules_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "branches:roster_import": "302 403 200 200 200 200 200 403 | 302 403  ok  ok  ok  ok  ok 403",
    "branches:roster_confirm": "302 405 405 405 405 405 405 405 | 302 403  ok  ok  ok  ok  ok 403",
    "branches:roster_cancel": "302 405 405 405 405 405 405 405 | 302 403  ok  ok  ok  ok  ok 403",
    "branches:roster_template": "302 403 200 200 200 200 200 403",
    "branches:roster_export": "302 403 200 200 200 200 200 403",
    "branches:meeting_list": "302 403 200 200 200 200 200 403",
    "branches:meeting_create": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:meeting_detail": "302 404 404 200 404 200 200 404",
    "branches:meeting_edit": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:meeting_delete": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:meeting_attachment": "302 404 404 200 404 200 200 404",
    "branches:completion": "302 403 200 200 200 200 200 403",
    "branches:branch_calendar": "302 404 404 200 404 200 200 404",
    "branches:requirement_list": "302 403 403 403 403 403 200 403",
    "branches:requirement_create": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "branches:requirement_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "branches:requirement_delete": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "branches:exemption_create": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "branches:exemption_delete": "302 405 405 405 405 405 405 405 | 302 404 404 403 404  ok  ok 404",
    "branches:training_list": "302 403 200 200 200 200 200 403",
    "branches:training_create": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "branches:training_delete": "302 405 405 405 405 405 405 405 | 302 403 404  ok 404  ok  ok 404",
    "projects:project_list": "302 200 200 200 200 200 200 200",
    "projects:project_export": "302 403 200 200 200 200 200 403",
    "projects:project_create": "302 403 200 200 200 200 200 403 | 302 403  ok  ok  ok  ok  ok 403",
    "projects:project_detail": "302 200 404 200 404 200 200 200",
    "projects:project_edit": "302 403 404 302 404 302 302 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:project_submit": "302 405 405 405 405 405 405 405 | 302 403 404  ok 404  ok  ok 403",
    "projects:project_approve": "302 405 405 405 405 405 405 405 | 302 403 404 403 404  ok  ok 403",
    "projects:project_return": "302 403 404 403 404 302 302 403 | 302 403 404 403 404  ok  ok 403",
    "projects:project_file": "302 405 405 405 405 405 405 405 | 302 403 404 403 404 403  ok 403",
    "projects:milestone_reschedule": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:review_queue": "302 403 403 403 200 200 200 403",
    "projects:unfiled_branches": "302 403 200 200 200 200 200 403",
    "projects:topic_list_index": "302 403 200 200 200 200 200 403",
    "projects:topic_list_create": "302 403 403 403 200 200 200 403 | 302 403 403 403  ok  ok  ok 403",
    "projects:topic_list_detail": "302 404 404 200 404 200 200 404",
    "projects:topic_list_edit": "302 404 404 403 404 302 302 404 | 302 404 404 403 404  ok  ok 404",
    "projects:topic_list_publish": "302 405 405 405 405 405 405 405 | 302 404 404 403 404  ok  ok 404",
    "projects:topic_list_reopen": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "projects:topic_create": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "projects:topic_edit": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "projects:topic_search": "302 403 200 200 200 200 200 403",
    "projects:milestone_progress": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:evidence_download": "302 200 404 200 404 200 200 200",
    "projects:task_create": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:task_edit": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:task_delete": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:task_update": "302 200 404 200 404 200 200 403 | 302  ok 404  ok 404  ok  ok 403",
    "projects:my_tasks": "302 200 200 200 200 200 200 200",
    "projects:supervision_create": "302 403 404 403 404 200 200 403 | 302 403 404 403 404  ok  ok 403",
    "projects:duban_answer": "302 403 404 200 404 403 403 403 | 302 403 404  ok 404 403 403 403",
    "projects:acceptance_request": "302 403 404 200 404 200 200 403 | 302 403 404  ok 404  ok  ok 403",
    "projects:acceptance_score": "302 403 404 403 404 302 302 302 | 302 403 404 403 404  ok  ok  ok",
    "projects:acceptance_finalize": "302 405 405 405 405 405 405 405 | 302 403 404 403 404 403  ok 403",
    "projects:top_ten_toggle": "302 405 405 405 405 405 405 405 | 302 403 404 403 404 403  ok 403",
    "projects:year_config": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "projects:year_config[year]": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "projects:expert_queue": "302 403 403 403 403 403 403 200",
    "projects:expert_assign": "302 405 405 405 405 405 405 405 | 302 403 404 403 404  ok  ok 403",
    "projects:expert_withdraw": "302 405 405 405 405 405 405 405 | 302 403 404 403 404  ok  ok 403",
    "assessments:report_overview": "302 403 200 200 200 200 200 403",
    "assessments:report_export": "302 403 200 200 200 200 200 403",
    "assessments:my_reports": "302 200 200 200 200 200 200 200",
    "assessments:report_detail": "302 404 404 200 404 200 200 404",
    "assessments:report_submit": "302 405 405 405 405 405 405 405 | 302 404 404  ok 404  ok  ok 404",
    "assessments:report_review": "302 404 404 403 404 200 200 404",
    "assessments:report_edit": "302 404 404 302 404 302 302 404 | 302 404 404  ok 404  ok  ok 404",
    "assessments:period_list": "302 403 200 200 200 200 200 403",
    "assessments:period_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:problem_list": "302 403 200 200 200 200 200 403",
    "assessments:problem_export": "302 403 200 200 200 200 200 403",
    "assessments:problem_create": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "assessments:problem_detail": "302 404 404 200 404 200 200 404",
    "assessments:problem_edit": "302 404 404 302 404 302 302 404 | 302 404 404  ok 404  ok  ok 404",
    "assessments:problem_start": "302 405 405 405 405 405 405 405 | 302 404 404  ok 404  ok  ok 404",
    "assessments:problem_close": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "assessments:problem_verify": "302 405 405 405 405 405 405 405 | 302 404 404 403 404  ok  ok 404",
    "assessments:problem_reopen": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "assessments:scheme_list": "302 403 403 403 200 200 200 403",
    "assessments:scheme_create_default": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:scheme_detail": "302 403 403 403 200 200 200 403",
    "assessments:scheme_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:scheme_copy": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:scheme_new_version": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:dimension_create": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:dimension_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:dimension_delete": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:indicator_create": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:indicator_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:indicator_delete": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:adjustment_item_create": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:adjustment_item_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:adjustment_item_delete": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:scoring_grid": "302 403 403 403 200 200 200 403",
    "assessments:score_cell": "302 405 405 405 405 405 405 405 | 302 404 404 403 404  ok  ok 404",
    "assessments:self_score_home": "302 403 302 302 403 403 403 403 | 302 405 405 405 405 405 405 405",
    "assessments:self_score": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404 403 403 404",
    "assessments:adjustment_list": "302 403 403 403 200 200 200 403",
    "assessments:adjustment_create": "302 403 403 403 200 200 200 403 | 302 403 403 403  ok  ok  ok 403",
    "assessments:adjustment_delete": "302 405 405 405 405 405 405 405 | 302 404 404 403 404  ok  ok 404",
    "assessments:appraisal_list": "302 403 200 200 200 200 200 403",
    "assessments:appraisal_detail": "302 404 404 200 404 200 200 404",
    "assessments:appraisal_open": "302 405 405 405 405 405 405 405 | 302 404 404  ok 404  ok  ok 404",
    "assessments:appraisal_finalize": "302 405 405 405 405 405 405 405 | 302 404 404  ok 404  ok  ok 404",
    "assessments:appraisal_reopen": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "assessments:points_mine": "302 302 404 404 404 404 404 404",
    "assessments:points_list": "302 403 200 200 200 200 200 403",
    "assessments:own_appraisal": "302 403 302 302 403 403 403 403",
    "assessments:own_points": "302 403 302 302 403 403 403 403",
    "assessments:own_secretary_report": "302 403 302 302 403 403 403 403",
    "assessments:point_rules": "302 403 403 403 200 200 200 403 | 302 405 405 405 405 405 405 405",
    "assessments:point_rule_create": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:point_rule_edit": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:point_rule_delete": "302 403 403 403 403 403 200 403 | 302 403 403 403 403 403  ok 403",
    "assessments:points_branch": "302 404 404 200 404 200 200 404",
    "assessments:point_entry_add": "302 404 404 200 404 200 200 404 | 302 404 404  ok 404  ok  ok 404",
    "assessments:points_member": "302 200 404 200 404 200 200 404",
    "assessments:point_entry_approve": "302 405 405 405 405 405 405 405 | 302 403 404 403 404  ok  ok 404",
    "assessments:point_entry_reject": "302 403 404 403 404 200 200 404 | 302 403 404 403 404  ok  ok 404",
    "assessments:secretary_report_list": "302 403 403 403 200 200 200 403",
    "assessments:secretary_report": "302 404 404 200 404 200 200 404",
    "assessments:secretary_report_evaluate": "302 405 405 405 405 405 405 405 | 302 404 404 403 404  ok  ok 404",
    "assessments:secretary_report_return": "302 404 404 403 404 200 200 404 | 302 404 404 403 404  ok  ok 404",
    "assessments:secretary_attachment": "302 404 404 200 404 200 200 404",
    "assessments:run_list": "302 403 403 403 200 200 200 403",
    "assessments:run_compute": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:run_detail": "302 403 403 403 200 200 200 403",
    "assessments:run_status": "302 403 403 403 200 200 200 403",
    "assessments:run_publish": "302 405 405 405 405 405 405 405 | 302 403 403 403 403 403  ok 403",
    "assessments:result_detail": "302 404 404 200 404 200 200 404",
    "assessments:scorecard_request": "302 403 403 403 200 200 200 403 | 302 403 403 403  ok  ok  ok 403",
    "assessments:scorecard_detail": "302 403 403 403 404 200 200 403",
    "assessments:scorecard_download": "302 403 403 403 404 200 200 403",
    "assessments:scorecard_retry": "302 405 405 405 405 405 405 405 | 302 403 403 403 404  ok  ok 403",
    "portal:dashboard": "302 403 403 403 200 200 200 403",
    "public:results": "200",
    "notifications:list": "302 200 200 200 200 200 200 200",
    "notifications:read": "302 405 405 405 405 405 405 405 | 302  ok 404 404 404 404 404 404",
    "notifications:read_all": "302 405 405 405 405 405 405 405 | 302  ok  ok  ok  ok  ok  ok  ok",
    "notifications:sent": "302 403 403 403 403 403 200 403",
}

# Names that say the URL writes: a refused POST to it must change nothing.
_WRITE_WORDS = """create new add edit delete dissolve revoke reset active password submit approve return publish
    reopen file reschedule progress update answer request score cell finalize toggle start close verify
    open reject evaluate retry import confirm cancel read compute config copy version rules"""
WRITE_WORDS = set(_WRITE_WORDS.split())


def portal_urls() -> dict[str, tuple[str, list[str]]]:
    """Every named URL pattern of the portal as key → (route, keyword arguments).

    The key is the namespaced name; when two patterns share a name, the one taking arguments
    gets them appended (`projects:year_config[year]`)."""

    def walk(patterns, prefix="", ns=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern), f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), ns + (p.name or ""), sorted(p.pattern.converters)

    patterns = [p for p in walk(get_resolver().url_patterns) if not p[0].startswith(SKIPPED_PREFIXES)]
    names = Counter(name for _, name, _ in patterns)
    found: dict[str, tuple[str, list[str]]] = {}
    for route, name, kwargs in patterns:
        key = f"{name}[{','.join(kwargs)}]" if names[name] > 1 and kwargs else name
        assert key not in found, f"two patterns answer to {key}: give one of them its own name"
        found[key] = (route, kwargs)
    return found


def parse_row(row: str) -> tuple[dict[str, int], dict[str, str] | None]:
    def codes(part: str) -> list[str]:
        values = part.split()
        return values * len(ROLES) if len(values) == 1 else values

    get_part, _, post_part = row.partition("|")
    get = dict(zip(ROLES, map(int, codes(get_part)), strict=True))
    post = dict(zip(ROLES, codes(post_part), strict=True)) if post_part else None
    return get, post


def url_for(key: str, world: dict) -> str:
    name = key.split("[")[0]
    kwargs = {}
    for pair in URL_ARGS.get(key, "").split():
        arg, value = pair.split("=")
        if value.isdigit():
            kwargs[arg] = int(value)
        elif arg == "token":
            kwargs[arg] = world[value].token
        else:
            kwargs[arg] = world[value].pk
    url = reverse(name, kwargs=kwargs)
    query = [pair.split("=") for pair in URL_QUERY.get(key, "").split()]
    if query:
        url += "?" + "&".join(f"{arg}={world[v].pk if v in world else v}" for arg, v in query)
    return url


# What a GET may write: the record of who took personal data out (an export or a download is a GET, and
# the audit of it is written as it is answered, see maintenance.models.ExportLog).
AUDIT_TABLES = ("maintenance_exportlog",)


def writes_so_far(ignored: tuple[str, ...] = ()) -> int:
    """Rows this connection inserted, updated or deleted so far, outside the `ignored` tables.

    On PostgreSQL, the per-transaction statistics of the project's tables, sessions left out (a
    refusal may still touch the session); on SQLite (a quick local run), its change counter, which
    counts every table."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.total_changes
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            " WHERE relname <> 'django_session' AND NOT relname = ANY(%s)",
            [list(ignored)],
        )
        return int(cursor.fetchone()[0])


@pytest.fixture(autouse=True)
def in_march_2026():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(
    member_user, secretary_of_branch_b, secretary_of_branch_a, organ_staff_b, organ_staff_a, gongwei_staff,
    expert_reviewer,
):  # fmt: skip
    users = [None, member_user, secretary_of_branch_b, secretary_of_branch_a, organ_staff_b, organ_staff_a]
    return dict(zip(ROLES, [*users, gongwei_staff, expert_reviewer], strict=True))


@pytest.fixture
def world(people, branch_a, branch_b):
    named = {
        "member": people["mem"], "secretary": people["sec"], "organ": people["org"], "gongwei": people["gw"],
        "expert": people["exp"],
    }  # fmt: skip
    records = build_world(named, branch_a, branch_b)
    records["secretary_user"] = people["sec"]
    return records


def test_every_url_is_in_the_matrix():
    """新增页面须加入权限矩阵: a page nobody decided the answers for is a page nobody checked."""
    urls = portal_urls()
    missing = sorted(set(urls) - set(MATRIX))
    assert not missing, "新增页面须加入权限矩阵 (tests/test_permission_matrix.py MATRIX): " + ", ".join(missing)
    stale = sorted(set(MATRIX) - set(urls))
    assert not stale, "MATRIX names URLs that no longer exist: " + ", ".join(stale)
    for key, (_, kwargs) in urls.items():
        given = sorted(pair.split("=")[0] for pair in URL_ARGS.get(key, "").split())
        assert given == kwargs, f"URL_ARGS[{key!r}] must fill {kwargs}"
    for key, row in MATRIX.items():
        get, post = parse_row(row)
        says_write = WRITE_WORDS & set(key.split(":")[-1].split("[")[0].split("_"))
        post_only = all(code == 405 for role, code in get.items() if role != "anon")
        if (says_write or post_only) and post is None:
            raise AssertionError(f"{key} writes: its row must say who may POST (GET | POST)")


def _login(client, user):
    if user is not None:
        client.force_login(user)
    client.raise_request_exception = False
    return client


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_the_expected_answer_on_every_page(client, people, world, role):
    client = _login(client, people[role])
    wrong = []
    for key, row in MATRIX.items():
        expected = parse_row(row)[0][role]
        url = url_for(key, world)
        before = writes_so_far(AUDIT_TABLES)
        response = client.get(url)
        if connection.vendor == "postgresql" and writes_so_far(AUDIT_TABLES) != before:
            wrong.append(f"{key} {url}: a GET wrote to the database")
        if response.status_code != expected:
            wrong.append(f"{key} {url}: expected {expected}, got {response.status_code}")
        elif role == "anon" and expected == 302 and not response["Location"].startswith(LOGIN_URL):
            wrong.append(f"{key} {url}: an anonymous visitor must be sent to log in, not {response['Location']}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_refused_post_is_refused_and_changes_nothing(client, people, world, role):
    client = _login(client, people[role])
    checked, wrong = 0, []
    for key, row in MATRIX.items():
        post = parse_row(row)[1]
        if post is None or post[role] == "ok":
            continue
        expected = int(post[role])
        url = url_for(key, world)
        before = writes_so_far()
        response = client.post(url, POST_DATA.get(key, {}))
        changed = writes_so_far() - before
        checked += 1
        if response.status_code != expected or changed:
            wrong.append(f"{key} {url}: expected {expected}, got {response.status_code}, rows written: {changed}")
        elif expected == 302 and not response["Location"].startswith(LOGIN_URL):
            wrong.append(f"{key} {url}: a refused POST must send to the log-in page, not {response['Location']}")
    assert checked, "no refused write was checked"
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
