import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.scope import scope_of
from core.uploads import StoredFile
from core.validators import validate_id_number, validate_phone

from .choices import (
    ETHNICITY_CHOICES,
    BranchKind,
    CommitteeKind,
    CommitteePost,
    Education,
    Gender,
    MeetingKind,
    MemberStatus,
    Period,
    RequirementScope,
)
from .pinyin import name_sort_key, number_in_name


class OrganisationRules(models.Model):
    """The organisational rules in force from a year on (支部工作条例 2018 defaults).

    The row with the greatest year not after the asked year applies; without any row the
    field defaults apply. Rules are data so that a 工委 can follow local practice.
    """

    year = models.PositiveSmallIntegerField("适用年度（起）", unique=True)
    min_full_members = models.PositiveSmallIntegerField(
        "成立支部最少正式党员数", default=3, help_text="不足此数的支部应组建联合党支部（第四条）"
    )
    committee_threshold = models.PositiveSmallIntegerField(
        "设立支委会的正式党员数", default=7, help_text="正式党员达到此数应设支部委员会（第二十条）"
    )
    committee_min_size = models.PositiveSmallIntegerField("支委会最少委员数", default=3)
    committee_max_size = models.PositiveSmallIntegerField("支委会最多委员数", default=7)
    no_committee_max_size = models.PositiveSmallIntegerField(
        "不设支委会时最多书记副书记数", default=2, help_text="不设支委会的支部只设书记，可设副书记"
    )
    max_members = models.PositiveSmallIntegerField("支部党员人数上限", default=50)
    term_years = models.PositiveSmallIntegerField("支委会任期（年）", default=3)
    term_notice_days = models.CharField(
        "换届提醒（届满前天数）", max_length=30, default="90,30", help_text="用逗号分隔，如 90,30"
    )
    training_hours_target = models.DecimalField(
        "党员年度学习学时要求", max_digits=5, decimal_places=1, default=Decimal("32")
    )
    max_attachment_mb = models.PositiveSmallIntegerField(
        "会议附件单个文件上限（MB）", default=20, help_text="会议记录附件（照片、签到表、纪要）每个文件的大小上限"
    )

    class Meta:
        verbose_name = "组织设置规则"
        verbose_name_plural = "组织设置规则"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="rules_committee_sizes_ordered",
                condition=Q(committee_min_size__lte=models.F("committee_max_size")),
            ),
            models.CheckConstraint(name="rules_term_years_range", condition=Q(term_years__gte=1, term_years__lte=5)),
        ]

    def __str__(self) -> str:
        return f"{self.year}年起组织设置规则"

    @property
    def term_notice_list(self) -> list[int]:
        """Days before a term ends on which to remind, largest first (e.g. [90, 30])."""
        return sorted({int(d) for d in self.term_notice_days.replace("，", ",").split(",") if d.strip()}, reverse=True)

    @classmethod
    def for_year(cls, year: int) -> "OrganisationRules":
        found = cls.objects.filter(year__lte=year).order_by("-year").first()
        return found or cls(year=year)


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar date `years` later; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class OrganQuerySet(models.QuerySet):
    def visible_to(self, user) -> "OrganQuerySet":
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        if not scope.is_staff_or_committee:
            return self.none()
        return self.filter(Q(pk__in=scope.organ_ids) | Q(branches__pk__in=scope.branch_ids)).distinct()


class Organ(models.Model):
    """A government organ (机关) under the 工委, with its 机关党委 or 党总支."""

    name = models.CharField("机关名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)
    committee_kind = models.CharField(
        "党组织类型", max_length=16, choices=CommitteeKind.choices, default=CommitteeKind.PARTY_COMMITTEE
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    objects = OrganQuerySet.as_manager()

    class Meta:
        verbose_name = "机关"
        verbose_name_plural = "机关"
        ordering = ["sort_order", "name"]
        # Lists of members in organ order (党员学时) walk the organs, their branches and members by index and
        # stop after a page, instead of sorting a province's roster.
        indexes = [models.Index(fields=["sort_order", "name"], name="organ_list_order")]

    def __str__(self) -> str:
        return self.name

    @property
    def display_short(self) -> str:
        return self.short_name or self.name

    @property
    def committee_name(self) -> str:
        return f"{self.display_short}{self.get_committee_kind_display()}"


def branch_scope_q(user, path: str = "branch") -> Q:
    """The rows whose branch (reached through `path`) the user may see, as a filter on the rows themselves.

    Nothing for the 工委 and plain column conditions for the others, rather than `branch IN (SELECT …)`:
    the planner then reads a list's first page and its date range straight from an index.
    """
    scope = scope_of(user)
    if scope.is_gongwei:
        return Q()
    return Q(**{f"{path}__organ_id__in": scope.organ_ids}) | Q(**{f"{path}_id__in": scope.branch_ids})


class BranchQuerySet(models.QuerySet):
    def visible_to(self, user) -> "BranchQuerySet":
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        return self.filter(Q(organ_id__in=scope.organ_ids) | Q(pk__in=scope.branch_ids))

    def active(self) -> "BranchQuerySet":
        return self.filter(dissolved_on__isnull=True)

    def with_stats(self) -> "BranchQuerySet":
        """Member counts and the current committee term, read from the kept `BranchFigures` row (one join).

        The same columns as `with_fresh_stats`; the services that write members, terms and seats keep the
        row up to date (see `branches.figures`). A branch without a row reads as empty.
        """
        return self.annotate(
            n_members=Coalesce(F("figures__n_members"), Value(0)),
            n_full=Coalesce(F("figures__n_full"), Value(0)),
            n_probationary=Coalesce(F("figures__n_probationary"), Value(0)),
            term_ends_on=F("figures__term_ends_on"),
            current_term_id=F("figures__current_term_id"),
            term_size=Coalesce(F("figures__term_size"), Value(0)),
            has_secretary=Coalesce(F("figures__has_secretary"), Value(False)),
        )

    def with_fresh_stats(self) -> "BranchQuerySet":
        """`with_stats` computed afresh, a subquery per branch: the reference the kept figures are written from."""
        members = Member.objects.filter(branch=OuterRef("pk")).order_by().values("branch")
        current_term = CommitteeTerm.objects.filter(branch=OuterRef("pk")).order_by("-elected_on", "-pk")
        return (
            self.annotate(
                n_members=Coalesce(Subquery(members.annotate(c=Count("pk")).values("c")), Value(0)),
                n_full=Coalesce(
                    Subquery(members.filter(status=MemberStatus.FULL).annotate(c=Count("pk")).values("c")), Value(0)
                ),
                n_probationary=Coalesce(
                    Subquery(members.filter(status=MemberStatus.PROBATIONARY).annotate(c=Count("pk")).values("c")),
                    Value(0),
                ),
                term_ends_on=Subquery(current_term.values("ends_on")[:1]),
            )
            .with_term_size()
            .annotate(has_secretary=Exists(self._term_members().filter(post=CommitteePost.SECRETARY)))
        )

    def with_term_size(self) -> "BranchQuerySet":
        """`current_term_id` and `term_size`, the seats of the current committee term, computed afresh."""
        current_term = CommitteeTerm.objects.filter(branch=OuterRef("pk")).order_by("-elected_on", "-pk")
        seats = self._term_members().values("term").annotate(c=Count("pk")).values("c")
        return self.annotate(current_term_id=Subquery(current_term.values("pk")[:1])).annotate(
            term_size=Coalesce(Subquery(seats), Value(0))
        )

    @staticmethod
    def _term_members() -> models.QuerySet:
        return CommitteeMember.objects.filter(term=OuterRef("current_term_id")).order_by()

    def with_warnings(self, rules: OrganisationRules | None = None, today: datetime.date | None = None):
        """Annotate one boolean per organisation warning (see `branches.rules`)."""
        from .rules import warning_annotations

        today = today or timezone.localdate()
        rules = rules or OrganisationRules.for_year(today.year)
        return self.with_stats().annotate(**warning_annotations(rules, today))


class Branch(models.Model):
    """A 党支部. Dissolved branches are kept with their history, never deleted."""

    organ = models.ForeignKey(Organ, on_delete=models.PROTECT, related_name="branches", verbose_name="所属机关")
    name = models.CharField("支部名称", max_length=100)
    kind = models.CharField("支部类型", max_length=16, choices=BranchKind.choices, default=BranchKind.ORGAN)
    founded_on = models.DateField("成立日期")
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    dissolution_reason = models.CharField("撤销原因", max_length=200, blank=True)
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = BranchQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "党支部"
        verbose_name_plural = "党支部"
        ordering = ["organ__sort_order", "organ__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organ", "name"], condition=Q(dissolved_on__isnull=True), name="unique_active_branch_name"
            ),
            models.CheckConstraint(
                name="branch_dissolved_after_founded",
                condition=Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=models.F("founded_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("branches:branch_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None

    def current_term(self) -> "CommitteeTerm | None":
        return self.terms.order_by("-elected_on", "-pk").first()


class BranchFigures(models.Model):
    """A branch's member counts and current committee, kept for the organisation warnings.

    Every service that writes members, committee terms, seats or branches rewrites the rows of the
    branches it touched in its own transaction (`branches.figures.refresh`); `manage.py rebuild_warnings`
    rewrites them all. The values equal `Branch.objects.with_fresh_stats()`; the rules and the day are
    not kept: the warnings are conditions on these columns applied when read (`branches.rules`).
    """

    branch = models.OneToOneField(
        Branch, on_delete=models.CASCADE, primary_key=True, related_name="figures", verbose_name="支部"
    )
    n_members = models.PositiveIntegerField("党员数", default=0)
    n_full = models.PositiveIntegerField("正式党员数", default=0)
    n_probationary = models.PositiveIntegerField("预备党员数", default=0)
    current_term = models.ForeignKey(
        "CommitteeTerm", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="当前届次"
    )
    term_ends_on = models.DateField("任期届满日期", null=True, blank=True)
    term_size = models.PositiveSmallIntegerField("当前届次人数", default=0)
    has_secretary = models.BooleanField("已配备书记", default=False)

    class Meta:
        verbose_name = "支部统计数"
        verbose_name_plural = "支部统计数"
        constraints = [
            models.CheckConstraint(
                name="figures_members_add_up",
                condition=Q(n_members=models.F("n_full") + models.F("n_probationary")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}: {self.n_members}"


# 党小组 in natural order: by the number in the name (第二 before 第十), unnumbered ones last, then as created.
GROUP_ORDER = (models.F("name_number").asc(nulls_last=True), "pk")


class PartyGroup(models.Model):
    """A 党小组 inside a branch."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="groups", verbose_name="所属支部")
    name = models.CharField("党小组名称", max_length=50)
    # Kept from the name on every save (and by the bulk writers), so that lists sort in the database.
    name_number = models.PositiveIntegerField("名称中的序号", null=True, blank=True, editable=False)
    leader = models.ForeignKey(
        "Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="党小组长"
    )

    class Meta:
        verbose_name = "党小组"
        verbose_name_plural = "党小组"
        ordering = ["branch", *GROUP_ORDER]
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="unique_group_name_in_branch")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_number = number_in_name(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_number"}
        super().save(*args, **kwargs)


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MemberQuerySet":
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        q = Q(branch__organ_id__in=scope.organ_ids) | Q(branch_id__in=scope.branch_ids)
        if scope.member_id is not None:
            q |= Q(pk=scope.member_id)
        return self.filter(q)


class Member(models.Model):
    """A party member (党员) on a branch's roster."""

    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField("姓名拼音", max_length=200, editable=False, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=10, choices=ETHNICITY_CHOICES, default="汉族")
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=16, choices=Education.choices, blank=True)
    id_number = models.CharField("身份证号", max_length=18, blank=True, validators=[validate_id_number])
    organ = models.ForeignKey(Organ, on_delete=models.PROTECT, related_name="members", verbose_name="工作单位")
    post = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])
    joined_on = models.DateField("入党日期")
    confirmed_on = models.DateField("转正日期", null=True, blank=True)
    status = models.CharField("党员状态", max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="members", verbose_name="所在支部")
    party_group = models.ForeignKey(
        PartyGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name="党小组"
    )
    is_leader = models.BooleanField("班子成员", default=False, help_text="机关领导班子成员，须履行一岗双责")
    is_party_worker = models.BooleanField("党务干部", default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name="登录账号",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MemberQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["name_pinyin", "created_at", "updated_at"])

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["name_pinyin", "pk"]
        indexes = [models.Index(fields=["branch", "name_pinyin"], name="member_branch_pinyin")]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~Q(id_number=""), name="unique_member_id_number"),
            models.CheckConstraint(
                name="member_probationary_not_confirmed",
                condition=~Q(status=MemberStatus.PROBATIONARY) | Q(confirmed_on__isnull=True),
            ),
            models.CheckConstraint(
                name="member_confirmed_after_joined",
                condition=Q(confirmed_on__isnull=True) | Q(confirmed_on__gte=models.F("joined_on")),
            ),
            models.CheckConstraint(name="member_joined_after_birth", condition=Q(joined_on__gt=models.F("birth_date"))),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_pinyin = name_sort_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("branches:member_detail", args=[self.pk])


class CommitteeTermQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CommitteeTermQuerySet":
        return self.filter(branch_scope_q(user))


class CommitteeTerm(models.Model):
    """One elected term (届) of a branch's committee or secretary."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="terms", verbose_name="支部")
    elected_on = models.DateField("选举日期")
    term_years = models.PositiveSmallIntegerField("任期（年）")
    ends_on = models.DateField("任期届满日期", editable=False)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = CommitteeTermQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "支委会届次"
        verbose_name_plural = "支委会届次"
        ordering = ["branch", "-elected_on"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "elected_on"], name="unique_term_election_date"),
            models.CheckConstraint(name="term_years_range", condition=Q(term_years__gte=1, term_years__lte=5)),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.elected_on:%Y年%m月}选举"

    def save(self, *args, **kwargs):
        self.ends_on = add_years(self.elected_on, self.term_years)
        super().save(*args, **kwargs)


class CommitteeMember(models.Model):
    """A member holding a post in one committee term."""

    term = models.ForeignKey(CommitteeTerm, on_delete=models.CASCADE, related_name="seats", verbose_name="届次")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="seats", verbose_name="党员")
    post = models.CharField("职务", max_length=16, choices=CommitteePost.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "支委会成员"
        verbose_name_plural = "支委会成员"
        constraints = [
            models.UniqueConstraint(fields=["term", "member"], name="unique_member_per_term"),
            models.UniqueConstraint(
                fields=["term"], condition=Q(post=CommitteePost.SECRETARY), name="one_secretary_per_term"
            ),
            models.UniqueConstraint(
                fields=["term"], condition=Q(post=CommitteePost.DEPUTY), name="one_deputy_per_term"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_post_display()}"


# --- 三会一课 and organisational life ---------------------------------------------------


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MeetingQuerySet":
        return self.filter(branch_scope_q(user))


class Meeting(models.Model):
    """A meeting of a branch (or of one of its 党小组), with attendance and, for a 党员大会, a vote.

    The members due to attend are the attendance rows; a vote passes only when more than half
    of them voted for it (`vote_passes`).
    """

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="meetings", verbose_name="支部")
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices)
    party_group = models.ForeignKey(
        PartyGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings", verbose_name="党小组"
    )
    held_on = models.DateField("召开日期", db_index=True)
    topic = models.CharField("主题", max_length=200)
    place = models.CharField("地点", max_length=100, blank=True)
    minutes = models.TextField("会议记录", blank=True)
    hours = models.DecimalField(
        "学时", max_digits=4, decimal_places=1, default=Decimal("0"), help_text="党课等学习计入出席党员的学时"
    )
    motion = models.CharField("表决事项", max_length=200, blank=True)
    votes_for = models.PositiveSmallIntegerField("赞成票", null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField("反对票", null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField("弃权票", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-held_on", "-pk"]
        indexes = [
            models.Index(fields=["branch", "kind", "held_on"], name="meeting_branch_kind_date"),
            # The lists' order: their first page, and the years they offer, read the index's ends.
            models.Index(fields=["-held_on", "-id"], name="meeting_recent_first"),
        ]
        constraints = [
            models.CheckConstraint(
                name="group_meeting_has_group",
                condition=Q(kind=MeetingKind.GROUP, party_group__isnull=False)
                | (~Q(kind=MeetingKind.GROUP) & Q(party_group__isnull=True)),
            ),
            models.CheckConstraint(
                name="vote_only_at_general_meeting",
                condition=Q(kind=MeetingKind.GENERAL) | Q(motion="", votes_for__isnull=True),
            ),
            models.CheckConstraint(name="meeting_hours_not_negative", condition=Q(hours__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def heading(self) -> str:
        """Kind and topic in one line ("党课：…"), naming the kind once: topics often start with it already
        ("党课：从党的百年奋斗历程中汲取前进力量", "专题党课：…")."""
        kind = self.get_kind_display()
        topic = self.topic.strip()
        return topic if kind in topic else f"{kind}：{topic}" if topic else kind

    @property
    def has_vote(self) -> bool:
        return bool(self.motion) and self.votes_for is not None

    def vote_passes(self, n_due: int) -> bool:
        """More than half of the members due to attend (应到会) voted for it."""
        return self.has_vote and self.votes_for * 2 > n_due


class Attendance(models.Model):
    """A member due at a meeting, and whether they came."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name="会议")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendance", verbose_name="党员")
    present = models.BooleanField("出席", default=True)
    absence_reason = models.CharField("缺席原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "出席情况"
        verbose_name_plural = "出席情况"
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")]

    def __str__(self) -> str:
        return f"{self.member} {'出席' if self.present else '缺席'}"


def meeting_file_path(instance: "MeetingAttachment", filename: str) -> str:
    # The stored name is random: the original name is kept in the database only.
    return f"meetings/{instance.meeting.branch_id}/{instance.token}"


class MeetingAttachment(StoredFile):
    """A file attached to a meeting (sign-in sheet, photos, minutes). Served only after a scope check."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments", verbose_name="会议")
    file = models.FileField("文件", upload_to=meeting_file_path, max_length=200)

    download_prefix = "meeting-file"

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["uploaded_at", "pk"]


class MeetingRequirement(models.Model):
    """How often a kind of meeting is due in a year (DOMAIN.md defaults, changed per year as data)."""

    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices)
    period = models.CharField("频次", max_length=8, choices=Period.choices)
    min_count = models.PositiveSmallIntegerField("每期最少次数", default=1)
    scope = models.CharField(
        "适用范围", max_length=12, choices=RequirementScope.choices, default=RequirementScope.BRANCH
    )
    source = models.CharField("依据", max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "组织生活要求"
        verbose_name_plural = "组织生活要求"
        ordering = ["year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind"], name="one_requirement_per_kind_year"),
            models.CheckConstraint(name="requirement_min_count_positive", condition=Q(min_count__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.get_kind_display()} {self.get_period_display()}{self.min_count}次"


class RequirementExemption(models.Model):
    """A branch excused from meeting requirements for a time (e.g. newly founded).

    A period counts as exempt when the exemption covers the period's last day, the day by which
    the meeting was due. An empty `kind` exempts every kind.
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="exemptions", verbose_name="支部")
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices, blank=True)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    reason = models.CharField("原因", max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="批准人"
    )
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "组织生活豁免"
        verbose_name_plural = "组织生活豁免"
        ordering = ["branch", "-starts_on"]
        constraints = [
            models.CheckConstraint(name="exemption_dates_ordered", condition=Q(ends_on__gte=models.F("starts_on")))
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.starts_on}–{self.ends_on}"


class TrainingRecord(models.Model):
    """学时 a member earned outside the branch's own 党课 (a training course, online study)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="trainings", verbose_name="党员")
    held_on = models.DateField("日期")
    title = models.CharField("培训名称", max_length=200)
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "培训学时"
        verbose_name_plural = "培训学时"
        ordering = ["member", "-held_on"]
        constraints = [models.CheckConstraint(name="training_hours_positive", condition=Q(hours__gt=0))]

    def __str__(self) -> str:
        return f"{self.member} {self.title} {self.hours}学时"


class MeetingCompletionQuerySet(models.QuerySet):
    """The status of kept periods as of a day, in SQL (the same rules as `orglife._cell`)."""

    def begun(self, today: datetime.date) -> "MeetingCompletionQuerySet":
        """Periods that have begun by `today`: the ones `orglife.completion` lists."""
        return self.filter(starts_on__lte=today)

    @staticmethod
    def done_q() -> Q:
        return Q(applies=True, done=True)

    @staticmethod
    def pending_q() -> Q:
        """Not done and not exempt: missing once the period is over, upcoming until then."""
        return Q(applies=True, done=False, exempt=False)

    @staticmethod
    def missing_q(today: datetime.date) -> Q:
        """Over (ended before `today`), not done and not exempt."""
        return MeetingCompletionQuerySet.pending_q() & Q(ends_on__lt=today)

    @staticmethod
    def upcoming_q(today: datetime.date) -> Q:
        return MeetingCompletionQuerySet.pending_q() & Q(ends_on__gte=today)

    @staticmethod
    def exempt_q() -> Q:
        return Q(applies=True, done=False, exempt=True)

    def missing(self, today: datetime.date) -> "MeetingCompletionQuerySet":
        return self.filter(self.missing_q(today))


class MeetingCompletion(models.Model):
    """One period of one year's meeting requirement for one branch, as the recorded meetings make it.

    Kept, not typed: `branches.kept` writes these rows from `orglife.completion` whenever a service
    changes what completion depends on (meetings, requirements, exemptions, 党小组, committee terms
    and seats, a branch's dates, the organisation rules), in the same transaction; `manage.py
    rebuild_completion` recomputes them all. Nothing here depends on "today": the status as of a
    day is derived from `applies`, `done`, `exempt` and the period's dates (see the QuerySet).
    Only branches that existed during a year or held a meeting in it have rows for it (`kept.kept_q`).
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+", verbose_name="支部")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices)
    period = models.CharField("频次", max_length=8, choices=Period.choices)
    index = models.PositiveSmallIntegerField("期次", help_text="月份 1–12、季度 1–4，全年为 1")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    applies = models.BooleanField("适用", help_text="否：支部尚未成立或已撤销、未设支委会、未设党小组")
    held = models.PositiveIntegerField("召开次数")
    required = models.PositiveIntegerField("要求次数", help_text="不适用时为 0；按党小组计时为每组次数 × 党小组数")
    groups_met = models.PositiveIntegerField("达到要求的党小组数", default=0)
    n_groups = models.PositiveIntegerField("党小组数", default=0, help_text="仅“每个党小组”的要求，其余为 0")
    done = models.BooleanField("已完成")
    exempt = models.BooleanField("已豁免", help_text="未完成且豁免覆盖本期最后一天")

    objects = MeetingCompletionQuerySet.as_manager()

    class Meta:
        verbose_name = "组织生活完成情况（统计）"
        verbose_name_plural = "组织生活完成情况（统计）"
        ordering = ["year", "branch", "kind", "index"]
        constraints = [
            # Leading with the year: every reader asks for one year, most for many branches.
            models.UniqueConstraint(fields=["year", "branch", "kind", "index"], name="one_completion_per_period"),
            models.CheckConstraint(name="completion_index_range", condition=Q(index__gte=1, index__lte=12)),
            models.CheckConstraint(name="completion_dates_ordered", condition=Q(ends_on__gte=models.F("starts_on"))),
            models.CheckConstraint(name="completion_done_applies", condition=Q(done=False) | Q(applies=True)),
            models.CheckConstraint(
                name="completion_exempt_only_when_not_done",
                condition=Q(exempt=False) | Q(applies=True, done=False),
            ),
            models.CheckConstraint(
                name="completion_groups_met_within_groups", condition=Q(groups_met__lte=models.F("n_groups"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.year}年 {self.get_kind_display()} 第{self.index}期"


class OrganCompletion(models.Model):
    """One period of one year's meeting requirement summed over an organ's branches active in that year.

    Kept from the kept rows (`MeetingCompletion`) by `branches.kept` in the same transaction that writes
    them, so that the dashboard and the completion page count whole organs without grouping every
    branch's rows. A period's dates are the same for every branch (`orglife.spans`); `n_pending` rows
    are missing once `ends_on` is past and upcoming until then.
    """

    organ = models.ForeignKey(Organ, on_delete=models.CASCADE, related_name="+", verbose_name="机关")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices)
    index = models.PositiveSmallIntegerField("期次")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    n_rows = models.PositiveIntegerField("支部期数")
    n_done = models.PositiveIntegerField("已完成")
    n_pending = models.PositiveIntegerField("未完成且未豁免")
    n_exempt = models.PositiveIntegerField("已豁免")
    n_not_applicable = models.PositiveIntegerField("不适用")

    class Meta:
        verbose_name = "机关组织生活完成情况（统计）"
        verbose_name_plural = "机关组织生活完成情况（统计）"
        ordering = ["year", "organ", "kind", "index"]
        constraints = [
            models.UniqueConstraint(fields=["year", "organ", "kind", "index"], name="one_organ_completion_per_period"),
            models.CheckConstraint(
                name="organ_completion_counts_add_up",
                condition=Q(
                    n_rows=models.F("n_done")
                    + models.F("n_pending")
                    + models.F("n_exempt")
                    + models.F("n_not_applicable")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organ_id} {self.year}年 {self.get_kind_display()} 第{self.index}期"


class OrganFirstPending(models.Model):
    """How many of an organ's branches active in a year have, as their earliest period left pending (not
    done, not exempt) of one kind of meeting, or of any kind (`kind` empty), the period ending on a day.

    A branch has missed a period by a day exactly when its earliest pending period ended before that
    day, so the branches that missed any period by `today` are the sum over the days before it. Kept
    by `branches.kept` with `OrganCompletion`.
    """

    ANY_KIND = ""

    organ = models.ForeignKey(Organ, on_delete=models.CASCADE, related_name="+", verbose_name="机关")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField(
        "会议类型", max_length=16, choices=MeetingKind.choices, blank=True, help_text="空：任一类型"
    )
    first_pending_on = models.DateField("最早未完成期次的结束日期")
    n_branches = models.PositiveIntegerField("支部数")

    class Meta:
        verbose_name = "机关未完成支部（统计）"
        verbose_name_plural = "机关未完成支部（统计）"
        ordering = ["year", "organ", "kind", "first_pending_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "organ", "kind", "first_pending_on"], name="one_first_pending_per_organ_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organ_id} {self.year}年 {self.kind or '任一类型'} {self.first_pending_on}"


class TrainingHours(models.Model):
    """A member's 学时 in one year: the hours of the meetings they attended and of their recorded trainings.

    Kept, not typed: `branches.hours` writes these rows from the attendance and the training records
    whenever a service changes them (a meeting recorded, corrected or deleted, a training recorded or
    deleted), in the same transaction; `manage.py rebuild_hours` recomputes them all. Only member-years
    with some 学时 have a row: a member without one has 0 学时 that year.
    """

    # No index of its own: the unique (member, year) below leads with the member.
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="yearly_hours", db_index=False, verbose_name="党员"
    )
    year = models.PositiveSmallIntegerField("年度")
    meeting_hours = models.DecimalField("会议学时", max_digits=7, decimal_places=1)
    course_hours = models.DecimalField("培训学时", max_digits=7, decimal_places=1)
    hours = models.DecimalField("合计学时", max_digits=7, decimal_places=1, help_text="会议学时与培训学时之和")

    class Meta:
        verbose_name = "党员学时（统计）"
        verbose_name_plural = "党员学时（统计）"
        ordering = ["year", "member"]
        constraints = [
            # Also the index a page's members are joined to their year's row by.
            models.UniqueConstraint(fields=["member", "year"], name="one_training_hours_per_member_year"),
            models.CheckConstraint(
                name="training_hours_kept_when_earned",
                condition=Q(meeting_hours__gte=0, course_hours__gte=0, hours__gt=0),
            ),
        ]
        # Who reached a year's target, counted from the index alone.
        indexes = [models.Index(fields=["year", "hours", "member"], name="training_hours_year_hours")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}年 {self.hours}学时"
