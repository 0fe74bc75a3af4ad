"""Who may see and change what: the one place the role rules are written.

Every page asks `scope_of(user)`; querysets narrow themselves with `visible_to(user)`,
which reads the same scope. The scope is computed once per request and kept on the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

from .models import Role, RoleAssignment, User

_CACHE_ATTR = "_partybuild_scope"


@dataclass(frozen=True)
class Scope:
    """The organs, branches and member record an account reaches through its roles."""

    is_gongwei: bool = False
    organ_ids: frozenset[int] = field(default_factory=frozenset)
    branch_ids: frozenset[int] = field(default_factory=frozenset)
    member_id: int | None = None
    is_leader: bool = False  # a 班子成员, who owes 一岗双责 reports
    # A 评审专家: sees the projects assigned to it for acceptance, and no organisation data.
    is_expert: bool = False

    @property
    def is_organ_staff(self) -> bool:
        return bool(self.organ_ids)

    @property
    def is_branch_committee(self) -> bool:
        return bool(self.branch_ids)

    @property
    def is_staff_or_committee(self) -> bool:
        """Sees branches and rosters (as opposed to a plain member, who sees their own record)."""
        return self.is_gongwei or self.is_organ_staff or self.is_branch_committee

    @property
    def is_anyone(self) -> bool:
        return self.is_staff_or_committee or self.member_id is not None

    def can_see_full_id_numbers(self) -> bool:
        return self.is_gongwei

    def can_manage_organ(self, organ_id: int) -> bool:
        """Found and dissolve branches, assign organ-level work."""
        return self.is_gongwei or organ_id in self.organ_ids

    def can_write_branch(self, branch) -> bool:
        """Edit the branch's roster, party groups and committee terms."""
        return (
            self.is_gongwei
            or branch.organ_id in self.organ_ids
            or (branch.pk in self.branch_ids and branch.dissolved_on is None)
        )

    def role_labels(self) -> list[str]:
        labels = []
        if self.is_gongwei:
            labels.append(Role.GONGWEI.label)
        if self.organ_ids:
            labels.append(Role.ORGAN.label)
        if self.branch_ids:
            labels.append(Role.BRANCH.label)
        if self.is_expert:
            labels.append(Role.EXPERT.label)
        if self.member_id is not None:
            labels.append("党员")
        return labels


def scope_of(user) -> Scope:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    is_gongwei = user.is_superuser
    is_expert = False
    organ_ids: set[int] = set()
    branch_ids: set[int] = set()
    for role, organ_id, branch_id in RoleAssignment.objects.filter(user=user).values_list(
        "role", "organ_id", "branch_id"
    ):
        if role == Role.GONGWEI:
            is_gongwei = True
        elif role == Role.ORGAN:
            organ_ids.add(organ_id)
        elif role == Role.BRANCH:
            branch_ids.add(branch_id)
        elif role == Role.EXPERT:
            is_expert = True
    # The member record is read through the user's own relation: accounts sits below the roster's app.
    member_id, is_leader = (
        User.objects.filter(pk=user.pk, member__isnull=False).values_list("member__pk", "member__is_leader").first()
    ) or (None, False)
    scope = Scope(is_gongwei, frozenset(organ_ids), frozenset(branch_ids), member_id, is_leader, is_expert)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after the account's roles change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
