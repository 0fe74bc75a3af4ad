"""评审专家 at 公开验收: the 工委 or the project's 机关党委 assigns experts to a project awaiting acceptance; an
assigned expert sees and scores that project only (`projects.rules.can_score`, `ProjectQuerySet.visible_to`).

An expert who has not scored yet may be withdrawn with a reason; the assignment row is closed, not deleted.
"""

from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from accounts.selectors import expert_users
from core.workflow import locked, require_state
from notifications.services import notify

from . import rules
from .choices import ProjectStatus
from .models import AcceptanceReview, ExpertAssignment, Project
from .permissions import ASSIGN_EXPERTS
from .services import ProjectError

ASSIGNABLE = (ProjectStatus.ACCEPTANCE_REQUESTED,)


def panel_of(project: Project) -> QuerySet:
    """The project's assignments, current and withdrawn, with whether each expert has scored (`has_scored`)."""
    scored = AcceptanceReview.objects.filter(project=project, reviewer=OuterRef("expert"))
    return (
        ExpertAssignment.objects.filter(project=project)
        .select_related("expert", "assigned_by", "withdrawn_by")
        .annotate(has_scored=Exists(scored))
        .order_by("assigned_at", "pk")
    )


def candidates_for(project: Project) -> QuerySet:
    """Experts who may still be assigned: active, not on the panel, and not of the project's branch."""
    seated = ExpertAssignment.objects.filter(project=project, withdrawn_at__isnull=True).values("expert")
    own = project.branch.members.filter(user__isnull=False).values("user")
    return (
        expert_users()
        .exclude(pk__in=seated)
        .exclude(pk__in=own)
        .exclude(roles__branch_id=project.branch_id)
        .order_by("full_name", "username")
    )


@transaction.atomic
def assign_expert(project: Project, expert, *, by) -> ExpertAssignment:
    """Put an expert on the project's acceptance panel and tell them."""
    project = locked(project, "branch__organ")
    ASSIGN_EXPERTS.require(by, project)
    require_state(project, ASSIGNABLE, "只有待验收的项目可以分配评审专家")
    if not expert_users().filter(pk=expert.pk).exists():
        raise ProjectError(f"{expert} 不是评审专家（或账号已停用），请先由工委授予“评审专家”角色。")
    if rules.is_of_branch(expert, project.branch_id):
        raise ProjectError(f"{expert} 属于{project.branch.name}，不能评审本支部的项目。")
    if project.expert_assignments.filter(expert=expert, withdrawn_at__isnull=True).exists():
        raise ProjectError(f"{expert} 已是该项目的评审专家。")
    assignment = ExpertAssignment.objects.create(project=project, expert=expert, assigned_by=by)
    notify(
        [expert],
        title=f"请评审项目：{project.title}",
        body=f"{project.branch.organ.display_short}{project.branch.name}的项目已申请验收，请按评分标准打分。",
        url=project.get_absolute_url(),
        key=f"expert-assignment:{assignment.pk}",
    )
    return assignment


@transaction.atomic
def withdraw_expert(assignment: ExpertAssignment, *, by, reason: str) -> ExpertAssignment:
    """Take an expert who has not scored off the panel; the row keeps who withdrew them, when and why."""
    project = locked(assignment.project, "branch__organ")
    ASSIGN_EXPERTS.require(by, project)
    require_state(project, ASSIGNABLE, "只有待验收的项目可以调整评审专家")
    assignment = ExpertAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.withdrawn_at is not None:
        raise ProjectError(f"{assignment.expert} 已于 {timezone.localtime(assignment.withdrawn_at):%Y-%m-%d} 撤回。")
    if not reason.strip():
        raise ProjectError("请填写撤回原因。")
    if AcceptanceReview.objects.filter(project=project, reviewer=assignment.expert_id).exists():
        raise ProjectError(f"{assignment.expert} 已评分，不能撤回；评分计入验收结果。")
    assignment.withdrawn_by = by
    assignment.withdrawn_at = timezone.now()
    assignment.withdraw_reason = reason.strip()
    assignment.save(update_fields=["withdrawn_by", "withdrawn_at", "withdraw_reason"])
    return assignment


def expert_queue(user) -> QuerySet:
    """The projects an expert is assigned to, awaiting its score first, with its own review (`my_total`,
    `my_scored_at`) and when it was assigned (`assigned_at`)."""
    mine = AcceptanceReview.objects.filter(project=OuterRef("pk"), reviewer=user.pk)
    seat = ExpertAssignment.objects.filter(project=OuterRef("pk"), expert=user.pk, withdrawn_at__isnull=True)
    return (
        Project.objects.visible_to(user)
        .filter(Exists(seat))
        .select_related("branch__organ")
        .annotate(
            my_total=Subquery(mine.values("total")[:1]),
            my_scored_at=Subquery(mine.values("scored_at")[:1]),
            assigned_at=Subquery(seat.values("assigned_at")[:1]),
        )
        .annotate(
            waiting=Case(
                When(status=ProjectStatus.ACCEPTANCE_REQUESTED, my_total__isnull=True, then=Value(0)),
                When(status=ProjectStatus.ACCEPTANCE_REQUESTED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-assigned_at", "pk")
    )
