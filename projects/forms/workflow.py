"""Forms of 党委出题 and 支部立项, and the small forms of the review steps.

Every choice list is narrowed to what the user may use: organs they publish for, branches they
file for, topics those branches may choose, and the branches' committee members.
"""

import datetime

from django import forms
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from accounts.scope import scope_of
from branches.choices import CommitteePost, MemberStatus
from branches.models import Branch, CommitteeMember, CommitteeTerm, Member
from branches.search import BranchChoiceField, MemberChoiceField
from core.forms import DATE_WIDGET
from core.search import SearchChoiceField

from .. import services
from ..access import filing_branches, publishing_organs
from ..choices import ProjectStatus
from ..models import Milestone, Project, ProjectEvent, Target, Topic, TopicList

POSTS = dict(CommitteePost.choices)


def year_choices(today: datetime.date, *also: int) -> list[tuple[int, str]]:
    """This year and the next (filing for next year starts in winter), plus any year already stored."""
    years = sorted({today.year, today.year + 1, *also})
    return [(y, f"{y}年") for y in years]


# --- 党委出题 ---------------------------------------------------------------------------


class TopicListForm(forms.ModelForm):
    year = forms.TypedChoiceField(label="年度", coerce=int)

    class Meta:
        model = TopicList
        fields = ["year", "organ", "opens_on", "closes_on"]
        widgets = {"opens_on": DATE_WIDGET, "closes_on": DATE_WIDGET}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].choices = year_choices(today, *([self.instance.year] if self.instance.pk else []))
        organ = self.fields["organ"]
        organ.queryset = publishing_organs(user)
        organ.label_from_instance = lambda o: o.display_short
        if scope_of(user).is_gongwei:
            organ.empty_label = "全部机关（工委统一出题）"
        else:
            organ.required, organ.empty_label, organ.help_text = True, None, ""
        if self.instance.pk:
            # Moving a list to another organ or year would silently change what branches were offered.
            self.fields["year"].disabled = True
            organ.disabled = True

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "立项截止日期不能早于开始日期。")
        year, organ = data.get("year"), data.get("organ")
        clash = year and not self.instance.pk and "organ" not in self.errors
        if clash and TopicList.objects.filter(year=year, organ=organ).exists():
            who = organ.display_short if organ else "工委（全部机关）"
            # On the field, so that the model's own constraint check skips it and says it only once.
            self.add_error("year", f"{who} {year} 年的选题已存在，请在原选题中添加题目。")
        return data


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["title", "direction", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ReopenForm(forms.Form):
    until = forms.DateField(label="补报截止日期", widget=DATE_WIDGET)
    reason = forms.CharField(
        label="补报原因",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：新成立支部尚未立项"}),
    )

    def __init__(self, *args, topic_list: TopicList, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].help_text = f"原立项截止日期为 {topic_list.closes_on:%Y-%m-%d}，补报截止日期须晚于它。"


# --- 支部立项 ---------------------------------------------------------------------------


def topic_choices(branches, years):
    """Topics of published lists that the given branches may choose: their organ's and city-wide ones."""
    organ_ids = branches.values("organ_id")
    return (
        Topic.objects.filter(topic_list__published_at__isnull=False, topic_list__year__in=years)
        .filter(Q(topic_list__organ_id__in=organ_ids) | Q(topic_list__organ__isnull=True))
        .select_related("topic_list__organ")
        .order_by("-topic_list__year", "topic_list__organ__sort_order", "pk")
    )


def committee_choices(branches, keep: int | None = None):
    """Members of the branches who sit on their branch's current committee, with their post.

    A branch whose committee has not been registered yet offers all its full members, so that
    filing does not wait for the election records. `keep` is the member already chosen, who stays
    selectable when a new committee has been elected since.

    Written as set operations (the current terms, their seats) rather than a lookup per member, so
    that a 工委's question over every member of the city stops at the first rows it needs.
    """
    # A branch's current term is the one elected last; one election per day (unique_term_election_date).
    later = CommitteeTerm.objects.filter(branch_id=OuterRef("branch_id"), elected_on__gt=OuterRef("elected_on"))
    current_terms = CommitteeTerm.objects.filter(branch__in=branches).filter(~Exists(later)).values("pk")
    seats = CommitteeMember.objects.filter(term_id__in=current_terms, term__branch_id=F("member__branch_id"))
    no_committee = ~Exists(CommitteeTerm.objects.filter(branch_id=OuterRef("branch_id")))
    return (
        Member.objects.filter(branch__in=branches)
        .filter(Q(pk__in=seats.values("member_id")) | Q(no_committee, status=MemberStatus.FULL) | Q(pk=keep))
        .annotate(committee_post=Subquery(seats.filter(member=OuterRef("pk")).values("post")[:1]))
        .select_related("branch")
        .order_by("branch__name", "name_pinyin", "pk")
    )


def topic_label(topic: Topic) -> str:
    source = topic.topic_list.organ.display_short if topic.topic_list.organ else "工委"
    return f"【{topic.topic_list.year} {source}】{topic.title}（{topic.get_direction_display()}）"


def responsible_label(member: Member) -> str:
    post = POSTS.get(member.committee_post, "党员")
    return f"{member.branch.name} · {member.name}（{post}）"


class TopicChoiceField(SearchChoiceField):
    """A topic the branches may choose (`topic_choices`): listed, or searched by title or organ
    (projects.views.search), the chosen branch's first."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            Topic.objects.none(),
            search_url="projects:topic_search",
            params={},
            placeholder="输入题目或机关名称搜索",
            narrow_by="branch",
            prompt="（支部自拟题目）",
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return topic_label(obj)


class ProjectForm(forms.ModelForm):
    # Past a few hundred choices (a 工委 files for any branch) these search as you type; see core.search.
    branch = BranchChoiceField(label="支部", purpose="filing")
    year = forms.TypedChoiceField(label="年度", coerce=int)
    topic = TopicChoiceField(
        label="所选题目",
        required=False,
        empty_label="（支部自拟题目）",
        help_text="不选则为支部自拟题目",
        error_messages={"invalid_choice": "所选题目不存在或不是本支部可选的题目，请重新选择。"},
    )
    responsible = MemberChoiceField(label="负责支委", purpose="committee", narrow_by="branch")

    class Meta:
        model = Project
        fields = [
            "branch", "year", "title", "topic", "direction", "problem", "goals", "start_on", "end_on",
            "responsible", "is_secretary_project",
        ]  # fmt: skip
        widgets = {
            "start_on": DATE_WIDGET,
            "end_on": DATE_WIDGET,
            "problem": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"direction": "选择党委所出题目时自动取题目的方向；自拟题目须选择方向。"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        stored_year = [self.instance.year] if self.instance.pk else []
        self.fields["year"].choices = year_choices(today, *stored_year)
        branches = filing_branches(user)
        if self.instance.pk:
            # A project belongs to its branch for good; filing it for another branch is a new project.
            branches = branches.model.objects.filter(pk=self.instance.branch_id).select_related("organ")
            self.fields["branch"].disabled = True
        self.fields["branch"].queryset = branches
        if branches.count() == 1 and not self.instance.pk:
            self.initial.setdefault("branch", branches.first().pk)
        years = [y for y, _ in self.fields["year"].choices]
        self.fields["topic"].queryset = topic_choices(branches, years)
        self.fields["direction"].required = False
        self.fields["responsible"].queryset = committee_choices(branches, keep=self.instance.responsible_id)
        if self.fields["branch"].searches:
            # The 负责支委 of thousands of branches are found through the chosen branch, never listed.
            self.fields["responsible"].search_only()

    def chosen_branch_year(self) -> tuple[Branch | None, int | None]:
        """The branch and year the form is being filled for, as far as known yet: posted (when they are among
        the choices) or initial. None where not known."""
        branch_pk, year = self["branch"].value(), self["year"].value()
        branch = None
        if str(branch_pk).isdigit():
            branch = self.fields["branch"].queryset.filter(pk=branch_pk).first()
        years = {y for y, _ in self.fields["year"].choices}
        year = int(year) if str(year).isdigit() and int(year) in years else None
        return branch, year

    def clean(self):
        data = super().clean()
        branch, topic, year = data.get("branch"), data.get("topic"), data.get("year")
        if topic is not None:
            data["direction"] = topic.direction
            if year and topic.topic_list.year != year:
                self.add_error("topic", f"所选题目属于 {topic.topic_list.year} 年，与项目年度不一致。")
            if branch and topic.topic_list.organ_id not in (None, branch.organ_id):
                self.add_error("topic", "所选题目不是本支部所在机关党委出的题。")
        elif not data.get("direction"):
            self.add_error("direction", "自拟题目请选择项目方向。")
        responsible = data.get("responsible")
        if branch and responsible and responsible.branch_id != branch.pk:
            self.add_error("responsible", "负责支委须为本支部党员。")
        self._clean_period(data)
        return data

    def _clean_period(self, data) -> None:
        start, end, year = data.get("start_on"), data.get("end_on"), data.get("year")
        if start and end and end < start:
            self.add_error("end_on", "结束日期不能早于开始日期。")
        elif start and end and year and not start.year <= year <= end.year:
            self.add_error("end_on", f"项目实施期应覆盖 {year} 年。")


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["name", "unit", "target_value"]
        widgets = {"name": forms.TextInput(attrs={"placeholder": "如：审批时限压缩"})}


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "planned_on", "weight"]
        widgets = {"planned_on": DATE_WIDGET, "weight": forms.NumberInput(attrs={"min": 1})}
        help_texts = {"weight": ""}


class PlanFormSet(BaseInlineFormSet):
    """Rows left blank are ignored; a row with content is checked in full."""

    def kept_forms(self):
        return [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]


TargetFormSet = inlineformset_factory(
    Project, Target, form=TargetForm, formset=PlanFormSet, extra=3, can_delete=True, max_num=30, validate_max=True
)
MilestoneFormSet = inlineformset_factory(
    Project, Milestone, form=MilestoneForm, formset=PlanFormSet, extra=4, can_delete=True, max_num=30, validate_max=True
)


def plan_formsets(data=None, *, instance: Project):
    extra = 1 if instance.pk else None
    targets = TargetFormSet(data, instance=instance, prefix="targets")
    milestones = MilestoneFormSet(data, instance=instance, prefix="milestones")
    if extra is not None:
        targets.extra = milestones.extra = extra
    return targets, milestones


def check_milestone_dates(form: ProjectForm, milestones) -> bool:
    """Milestones fall inside the project period; errors go on the offending rows."""
    start, end = form.cleaned_data.get("start_on"), form.cleaned_data.get("end_on")
    ok = True
    if not (start and end):
        return ok
    for row in milestones.kept_forms():
        planned = row.cleaned_data.get("planned_on")
        if planned and not start <= planned <= end:
            row.add_error("planned_on", f"应在项目实施期（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）内。")
            ok = False
    return ok


@transaction.atomic
def save_project(form: ProjectForm, targets, milestones, *, by) -> Project:
    """Write the project with its targets and milestones; a new project starts as a draft.

    The pages and the API both save through here, so the year's cap on a branch's projects holds for both.
    """
    project = form.save(commit=False)
    created = project.pk is None
    if created or "year" in form.changed_data:
        services.check_project_cap(project.branch, project.year, exclude_pk=project.pk)
    if created:
        project.created_by = by
        project.status = ProjectStatus.DRAFT
    project._history_user = by
    project._change_reason = "创建项目" if created else "修改项目"
    project.save()
    for formset in (targets, milestones):
        formset.instance = project
        for obj in formset.save(commit=False):
            obj._history_user = by
            obj.save()
        for obj in formset.deleted_objects:
            obj._history_user = by
            obj.delete()
    if created:
        ProjectEvent.objects.create(project=project, actor=by, action="创建项目", to_status=ProjectStatus.DRAFT)
    return project


# --- 审核、退回、备案、节点改期 -----------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(
        label="意见", required=False, max_length=500, widget=forms.TextInput(attrs={"placeholder": "选填"})
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="退回原因",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "请写明需要修改的地方，支部书记将看到此内容。"}),
    )


class RescheduleForm(forms.Form):
    planned_on = forms.DateField(label="新的计划完成日期", widget=DATE_WIDGET)
    reason = forms.CharField(label="调整原因", max_length=200)

    def __init__(self, *args, milestone: Milestone, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestone = milestone
        self.fields["planned_on"].help_text = f"原计划完成日期：{milestone.planned_on:%Y-%m-%d}"
        if milestone.project.is_editable:
            self.fields["reason"].required = False

    def clean_planned_on(self):
        value = self.cleaned_data["planned_on"]
        project = self.milestone.project
        if not project.start_on <= value <= project.end_on:
            raise forms.ValidationError(
                f"应在项目实施期（{project.start_on:%Y-%m-%d} 至 {project.end_on:%Y-%m-%d}）内。"
            )
        if value == self.milestone.planned_on:
            raise forms.ValidationError("新日期与原计划日期相同。")
        return value
