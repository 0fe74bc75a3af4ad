"""Who may do what to a project: written once, used by pages, services and (later) the API."""

from accounts.scope import scope_of

from .models import Project


def is_branch_writer(user, project: Project) -> bool:
    """The branch's secretary/committee (and staff above them) run the project."""
    return scope_of(user).can_write_branch(project.branch)


def is_organ_reviewer(user, project: Project) -> bool:
    """机关党委 staff of the project's organ, or 工委 staff: first-level review and supervision."""
    scope = scope_of(user)
    return scope.is_gongwei or project.branch.organ_id in scope.organ_ids


def is_gongwei(user) -> bool:
    return scope_of(user).is_gongwei


def is_expert(user) -> bool:
    return scope_of(user).is_expert


def can_score(user, project: Project) -> bool:
    """Acceptance reviewers: 工委 staff, the organ's 机关党委 staff and the 评审专家 assigned to the project,
    never the branch's own people."""
    scope = scope_of(user)
    if is_of_branch(user, project.branch_id):
        return False
    if scope.is_gongwei or project.branch.organ_id in scope.organ_ids:
        return True
    return scope.is_expert and is_assigned_expert(user, project)


def is_assigned_expert(user, project: Project) -> bool:
    """A 评审专家 currently on the project's acceptance panel."""
    return project.expert_assignments.filter(expert=user.pk, withdrawn_at__isnull=True).exists()


def is_of_branch(user, branch_id: int) -> bool:
    """On the branch's committee or roster: one who may not judge the branch's own work."""
    scope = scope_of(user)
    return branch_id in scope.branch_ids or _is_member_of(scope, branch_id)


def _is_member_of(scope, branch_id: int) -> bool:
    from branches.models import Member

    return scope.member_id is not None and Member.objects.filter(pk=scope.member_id, branch_id=branch_id).exists()


def can_publish_topics(user, organ_id: int | None) -> bool:
    scope = scope_of(user)
    if organ_id is None:
        return scope.is_gongwei
    return scope.is_gongwei or organ_id in scope.organ_ids
