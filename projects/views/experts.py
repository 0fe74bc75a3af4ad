"""Pages of the 评审专家: the expert's 待评审项目, and the panel of experts on a project awaiting acceptance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError

from .. import experts, rules
from ..access import get_project_for_user
from ..choices import ProjectStatus
from ..forms.experts import ExpertAssignForm, ExpertWithdrawForm
from ..models import ExpertAssignment, Project
from ..permissions import ASSIGN_EXPERTS, SEE_EXPERT_QUEUE

PAGE_SIZE = 30
# The panel is shown from the request on; after acceptance it stays as the record of who judged.
SHOWS_PANEL = (ProjectStatus.ACCEPTANCE_REQUESTED, ProjectStatus.ACCEPTED)


def panel_context(user, project: Project) -> dict:
    """The project page's 评审专家 card, for the staff who assign them (under the key `experts`)."""
    if project.status not in SHOWS_PANEL or not rules.is_organ_reviewer(user, project):
        return {"experts": None}
    can_assign = project.status in experts.ASSIGNABLE
    return {
        "experts": {
            "panel": list(experts.panel_of(project)),
            "can_assign": can_assign,
            "form": ExpertAssignForm(project=project) if can_assign else None,
        }
    }


@login_required
def expert_queue(request: HttpRequest) -> HttpResponse:
    SEE_EXPERT_QUEUE.require(request.user)
    page = Paginator(experts.expert_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/expert_queue.html",
        {"nav": "expert_queue", "page": page, "breadcrumbs": [("待评审项目", None)]},
    )


def _back(project: Project):
    return redirect(project.get_absolute_url() + "#experts")


@login_required
@require_POST
def expert_assign(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    ASSIGN_EXPERTS.require(request.user, project)
    form = ExpertAssignForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["expert"]))
        return _back(project)
    try:
        assignment = experts.assign_expert(project, form.cleaned_data["expert"], by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已分配评审专家 {assignment.expert}，并已通知其评分。")
    return _back(project)


@login_required
@require_POST
def expert_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        ExpertAssignment.objects.filter(project__in=Project.objects.visible_to(request.user)).select_related(
            "project__branch__organ", "expert"
        ),
        pk=pk,
    )
    ASSIGN_EXPERTS.require(request.user, assignment.project)
    form = ExpertWithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        experts.withdraw_expert(assignment, by=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤回评审专家 {assignment.expert}。")
    return _back(assignment.project)
