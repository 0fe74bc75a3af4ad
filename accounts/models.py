from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserQuerySet(models.QuerySet):
    def visible_to(self, user) -> "UserQuerySet":
        """Accounts a manager may list: all for 工委; those working in their organs for 机关党委."""
        from .scope import scope_of

        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        if not scope.organ_ids:
            return self.filter(pk=user.pk) if user.is_authenticated else self.none()
        in_organ = Q(roles__branch__organ_id__in=scope.organ_ids) | Q(member__branch__organ_id__in=scope.organ_ids)
        return self.filter(pk__in=self.model.objects.filter(in_organ).values("pk"))


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A portal account. Roles come from `RoleAssignment` rows and a linked member record."""

    full_name = models.CharField("姓名", max_length=50, blank=True)

    objects = PortalUserManager()

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    GONGWEI = "gongwei", "工委工作人员"
    ORGAN = "organ", "机关党委工作人员"
    BRANCH = "branch", "支部书记/支委"
    # Scores the projects assigned to it at 公开验收 and sees nothing else (projects.ExpertAssignment).
    EXPERT = "expert", "评审专家"


class RoleAssignment(models.Model):
    """One role held by one account: 工委 staff, staff of one organ, committee of one branch, or 评审专家.

    The current roles only: each grant and revocation is also appended to `RoleChange`.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name="账号")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    organ = models.ForeignKey(
        "branches.Organ", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="机关"
    )
    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="支部"
    )
    granted_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(
                name="role_target_matches_role",
                condition=(
                    Q(role=Role.GONGWEI, organ__isnull=True, branch__isnull=True)
                    | Q(role=Role.ORGAN, organ__isnull=False, branch__isnull=True)
                    | Q(role=Role.BRANCH, organ__isnull=True, branch__isnull=False)
                    | Q(role=Role.EXPERT, organ__isnull=True, branch__isnull=True)
                ),
            ),
            models.UniqueConstraint(fields=["user"], condition=Q(role=Role.GONGWEI), name="unique_gongwei_role"),
            models.UniqueConstraint(fields=["user"], condition=Q(role=Role.EXPERT), name="unique_expert_role"),
            models.UniqueConstraint(fields=["user", "organ"], name="unique_organ_role"),
            models.UniqueConstraint(fields=["user", "branch"], name="unique_branch_role"),
        ]

    def __str__(self) -> str:
        target = self.organ or self.branch
        return f"{self.user} · {self.get_role_display()}" + (f" · {target}" if target else "")

    @property
    def scope_label(self) -> str:
        """Where the role reaches, in words: what the role history keeps once the organ or branch is gone."""
        return scope_label(self.role, self.organ, self.branch)


def scope_label(role: str, organ=None, branch=None) -> str:
    if branch is not None:
        return f"{branch.organ.display_short} {branch.name}"
    if organ is not None:
        return organ.name
    return "分配给本人的验收项目" if role == Role.EXPERT else "全部机关"


class RoleChange(models.Model):
    """One grant or revocation of a role: who did it, to whom, which role and scope, when.

    Appended by the services that grant and revoke (`accounts.services`), never edited nor deleted: a revoked
    role keeps its grant row, and the revocation is a row of its own. `scope` keeps the organ or branch in
    words, so the row still reads right after a branch entered by mistake has been deleted.
    """

    class Action(models.TextChoices):
        GRANT = "grant", "授予"
        REVOKE = "revoke", "撤销"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_changes", verbose_name="账号")
    action = models.CharField("操作", max_length=8, choices=Action.choices)
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    organ = models.ForeignKey(
        "branches.Organ", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="机关"
    )
    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="支部"
    )
    scope = models.CharField("范围", max_length=200)
    by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="操作人",
        help_text="空：系统（升级迁移、演示数据）",
    )  # fmt: skip
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "角色变更记录"
        verbose_name_plural = "角色变更记录"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="role_change_user_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.get_role_display()} · {self.scope}"

    def save(self, *args, **kwargs):
        # The history is only ever appended to: a correction is a new grant or revocation.
        if not self._state.adding:
            raise ValueError("角色变更记录只能新增，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("角色变更记录不能删除。")
