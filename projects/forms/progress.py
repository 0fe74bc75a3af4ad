"""Forms of 任务到人 and 节点督查. They collect input; the rules live in projects/progress.py."""

import datetime

from django import forms
from django.utils import timezone

from branches.models import Member
from core.forms import DATE_WIDGET, MultipleFileField
from core.uploads import ALLOWED_LABEL, MAX_FILES_PER_REPORT

from ..choices import SupervisionKind, TaskStatus
from ..models import Milestone, Project, Task


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label="完成进度（%）", min_value=0, max_value=100)
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 4}))
    completed_on = forms.DateField(
        label="实际完成日期", required=False, widget=DATE_WIDGET, help_text="进度为 100% 时填写；不填则记为今天。"
    )
    files = MultipleFileField(label="佐证材料", required=False)

    def __init__(self, *args, milestone: Milestone, max_mb: int, **kwargs):
        kwargs.setdefault("initial", {"percent": milestone.percent})
        super().__init__(*args, **kwargs)
        self.fields[
            "files"
        ].help_text = (
            f"可一次选择多个文件（最多 {MAX_FILES_PER_REPORT} 个），单个不超过 {max_mb} MB；支持{ALLOWED_LABEL}。"
        )

    def clean_completed_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("completed_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("实际完成日期不能晚于今天。")
        return day

    def clean(self):
        data = super().clean()
        if data.get("completed_on") and data.get("percent") is not None and data["percent"] < 100:
            self.add_error("completed_on", "进度未达到 100% 时不填写实际完成日期。")
        return data


class MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, member: Member) -> str:
        return f"{member.name}（{member.post}）" if member.post else member.name


class TaskForm(forms.ModelForm):
    assignees = MemberChoices(
        label="责任人", queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple, help_text="可选多人"
    )

    class Meta:
        model = Task
        fields = ["title", "description", "assignees", "due_on"]
        widgets = {"due_on": DATE_WIDGET, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignees"].queryset = Member.objects.filter(branch_id=project.branch_id).order_by(
            "name_pinyin", "pk"
        )
        self.fields["due_on"].help_text = f"项目期限 {project.start_on:%Y-%m-%d} 至 {project.end_on:%Y-%m-%d}"


class TaskProgressForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=TaskStatus.choices)
    progress_note = forms.CharField(label="进展说明", max_length=300, required=False)


class SupervisionForm(forms.Form):
    kind = forms.ChoiceField(
        label="类型",
        choices=SupervisionKind.choices,
        widget=forms.RadioSelect,
        initial=SupervisionKind.NOTE,
        help_text="督办须由支部在期限内书面答复。",
    )
    milestone = forms.ModelChoiceField(
        label="针对节点", queryset=Milestone.objects.none(), required=False, empty_label="整个项目"
    )
    text = forms.CharField(label="督查意见", widget=forms.Textarea(attrs={"rows": 4}))
    answer_due_on = forms.DateField(label="答复期限", required=False, widget=DATE_WIDGET)

    def __init__(self, *args, project: Project, answer_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = project.milestones.order_by("planned_on", "pk")
        self.fields["answer_due_on"].help_text = f"仅督办需要；不填则为 {answer_days} 天后。"

    def clean_answer_due_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("answer_due_on")
        if day and day < timezone.localdate():
            raise forms.ValidationError("答复期限不能早于今天。")
        return day


class DubanAnswerForm(forms.Form):
    answer = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 4}))


def task_args(data: dict) -> dict:
    """A task form's cleaned data as the keyword arguments of `progress.create_task` / `update_task`."""
    return {
        "title": data["title"],
        "description": data["description"],
        "assignees": data["assignees"],
        "due_on": data["due_on"],
    }
