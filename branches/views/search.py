"""The search endpoints behind core.search's fields: a few matching <option>s for the text typed.

GET only, for staff and committee members; each answers from the queryset its named purpose gives for
the user who asks (see branches.search), so nobody finds what their form would refuse.
"""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.search import RESULT_LIMIT, search_results

from ..access import writable_branches
from ..forms.organisation import group_options as group_options_for
from ..models import PartyGroup
from ..permissions import SEARCH
from ..search import BRANCH_PURPOSES, MEMBER_PURPOSES, Purpose, match_branches, match_member_rows

# Longer text matches nothing anyway; it is cut so that a pasted page does not reach the database.
MAX_TERM = 50
PK = re.compile(r"[0-9]{1,9}")


def _purpose(request: HttpRequest, purposes: dict[str, Purpose]) -> Purpose:
    SEARCH.require(request.user)
    purpose = purposes.get(request.GET.get("purpose", ""))
    if purpose is None:
        raise Http404("没有这种查找。")
    return purpose


def _term(request: HttpRequest) -> str:
    return request.GET.get("q", "")[:MAX_TERM]


@login_required
@require_GET
@never_cache
def branch_search(request: HttpRequest) -> HttpResponse:
    """Branches by name or organ name; `organ` (a filter bar's chosen organ) narrows to that organ's branches."""
    purpose = _purpose(request, BRANCH_PURPOSES)
    branches = purpose.queryset(request.user).select_related("organ")
    organ = request.GET.get("organ", "")
    if PK.fullmatch(organ):
        branches = branches.filter(organ_id=int(organ))
    branches = match_branches(branches, _term(request))
    return search_results(list(branches[: RESULT_LIMIT + 1]), label=purpose.label, noun="支部")


@login_required
@require_GET
@never_cache
def member_search(request: HttpRequest) -> HttpResponse:
    """Members by name, 全拼 or phone; `branch` (the form's chosen branch) narrows to that branch's members."""
    purpose = _purpose(request, MEMBER_PURPOSES)
    members = purpose.queryset(request.user).select_related("branch__organ")
    branch = request.GET.get("branch", "")
    if PK.fullmatch(branch):
        members = members.filter(branch_id=int(branch))
    members = match_member_rows(members, _term(request))
    return search_results(list(members[: RESULT_LIMIT + 1]), label=purpose.label, noun="党员", unit="名")


@login_required
@require_GET
@never_cache
def group_options(request: HttpRequest) -> HttpResponse:
    """The 党小组 <option>s of the branch chosen in a member form (`branch`), among the branches the user may write."""
    SEARCH.require(request.user)
    raw = request.GET.get("branch", "")
    branch = int(raw) if PK.fullmatch(raw) else None
    writable = writable_branches(request.user)
    if branch is not None and not writable.filter(pk=branch).exists():
        branch = None
    groups = PartyGroup.objects.filter(branch__in=writable)
    options = format_html_join("", '<option value="{}">{}</option>', group_options_for(groups, branch))
    return HttpResponse(options)
