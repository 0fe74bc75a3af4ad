from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q


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


class RoleAssignment(models.Model):
    """One role held by one account: 工委 staff, staff of one organ, or committee of one branch."""

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
                ),
            ),
            models.UniqueConstraint(fields=["user"], condition=Q(role=Role.GONGWEI), name="unique_gongwei_role"),
            models.UniqueConstraint(fields=["user", "organ"], name="unique_organ_role"),
            models.UniqueConstraint(fields=["user", "branch"], name="unique_branch_role"),
        ]

    def __str__(self) -> str:
        target = self.organ or self.branch
        return f"{self.user} · {self.get_role_display()}" + (f" · {target}" if target else "")
