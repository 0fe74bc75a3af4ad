"""The topic search behind the project form's 所选题目 when a 工委 could choose among hundreds (core.search)."""

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.search import RESULT_LIMIT, search_results

from ..access import can_file_projects, filing_branches
from ..forms.workflow import topic_choices, topic_label, year_choices

PK = re.compile(r"[0-9]{1,9}")
MAX_TERM = 50


@login_required
@require_GET
@never_cache
def topic_search(request: HttpRequest) -> HttpResponse:
    """Topics of published lists that the user's branches may choose, for the years a new project may take;
    `branch` (the form's chosen branch) narrows to what that branch may choose. Words match the title or
    the publishing organ."""
    if not can_file_projects(request.user):
        raise PermissionDenied("您的账号不能填报项目。")
    branches = filing_branches(request.user)
    branch = request.GET.get("branch", "")
    if PK.fullmatch(branch):
        branches = branches.filter(pk=int(branch))
    years = [year for year, _ in year_choices(timezone.localdate())]
    topics = topic_choices(branches, years)
    for word in request.GET.get("q", "")[:MAX_TERM].split():
        topics = topics.filter(
            Q(title__icontains=word)
            | Q(topic_list__organ__name__icontains=word)
            | Q(topic_list__organ__short_name__icontains=word)
        )
    return search_results(list(topics[: RESULT_LIMIT + 1]), label=topic_label, noun="题目")
