"""Forms of the meeting pages. They collect input; the rules live in branches/meetings.py."""

import datetime

from django import forms
from django.db.models import Q

from core.filters import style_bar_fields
from core.forms import DATE_WIDGET, MultipleFileField
from core.uploads import ALLOWED_LABEL, MAX_FILES_PER_REPORT

from ..access import writable_branches
from ..choices import MeetingKind, MemberStatus
from ..models import Attendance, Branch, Meeting, MeetingAttachment, Member, Organ
from ..search import BranchChoiceField

MEETING_FIELDS = (
    "held_on",
    "topic",
    "place",
    "hours",
    "minutes",
    "motion",
    "votes_for",
    "votes_against",
    "votes_abstain",
)
VOTE_FIELDS = ("motion", "votes_for", "votes_against", "votes_abstain")


class MeetingForm(forms.Form):
    """One meeting: its fields, a present/absent mark and absence reason per member due, files.

    The members due are given by the view (derived from the roster, or the meeting's own list
    when editing); attendance arrives as the checked `present` boxes plus one reason per member.
    """

    files = MultipleFileField(label="会议附件", required=False)
    remove = forms.ModelMultipleChoiceField(
        label="删除附件", queryset=MeetingAttachment.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, kind: str, due: list[Member], max_mb: int, meeting: Meeting | None = None, **kwargs):
        marks = {}
        if meeting is not None:
            kwargs.setdefault("initial", {name: getattr(meeting, name) for name in MEETING_FIELDS})
            marks = {row.member_id: (row.present, row.absence_reason) for row in meeting.attendance.all()}
        super().__init__(*args, **kwargs)
        for name in MEETING_FIELDS:
            self.fields[name] = Meeting._meta.get_field(name).formfield()
        self.order_fields([*MEETING_FIELDS, "files", "remove"])
        self.fields["held_on"].widget = DATE_WIDGET
        self.fields["minutes"].widget = forms.Textarea(attrs={"rows": 6})
        self.fields["minutes"].help_text = "会议议程、发言要点、形成的决定等"
        self.fields["hours"].help_text = "党课、专题学习等计入出席党员的年度学时；不计学时填 0"
        for name in ("hours", "votes_for", "votes_against", "votes_abstain"):
            self.fields[name].widget.attrs["min"] = 0
        self.fields["motion"].help_text = "须经党员大会表决的事项（如接收预备党员、选举等）；不表决则留空"
        if kind != MeetingKind.GENERAL:
            for name in VOTE_FIELDS:
                del self.fields[name]
        self.fields["files"].help_text = (
            f"签到表、照片、会议材料等，可一次选择多个（最多 {MAX_FILES_PER_REPORT} 个），"
            f"单个不超过 {max_mb} MB；支持{ALLOWED_LABEL}。"
        )
        if meeting is not None:
            self.fields["remove"].queryset = meeting.attachments.all()
            self.fields["remove"].label_from_instance = lambda a: a.original_name
        else:
            del self.fields["remove"]

        self.kind = kind
        self.due = due
        self._marks = marks
        for member in due:
            self.fields[self.reason_name(member)] = forms.CharField(
                label=f"{member.name}缺席原因",
                required=False,
                max_length=Attendance._meta.get_field("absence_reason").max_length,
                initial=marks.get(member.pk, (True, ""))[1],
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": "缺席时填写"}),
            )

    @staticmethod
    def reason_name(member: Member) -> str:
        return f"reason_{member.pk}"

    def _checked_ids(self) -> set[int]:
        if self.is_bound:
            return {int(v) for v in self.data.getlist("present") if str(v).isdigit()}
        if self._marks:
            return {pk for pk, (present, _) in self._marks.items() if present}
        # A new meeting starts with everyone present: only absences need ticking off.
        return {member.pk for member in self.due}

    @property
    def meeting_fields(self) -> list:
        return [self[name] for name in MEETING_FIELDS if name in self.fields and name not in VOTE_FIELDS]

    @property
    def vote_fields(self) -> list:
        return [self[name] for name in VOTE_FIELDS if name in self.fields]

    @property
    def attendance_rows(self) -> list[dict]:
        checked = self._checked_ids()
        return [
            {
                "member": member,
                "present": member.pk in checked,
                "probationary": member.status == MemberStatus.PROBATIONARY,
                "reason": self[self.reason_name(member)],
            }
            for member in self.due
        ]

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in MEETING_FIELDS if name in self.fields}

    def attendance(self) -> dict[int, tuple[bool, str]]:
        checked = self._checked_ids()
        return {
            member.pk: (member.pk in checked, self.cleaned_data.get(self.reason_name(member), ""))
            for member in self.due
        }


def posted_date(data, name: str, default: datetime.date) -> datetime.date:
    """A date posted in `data` when it parses, else `default` (used to derive the due list)."""
    field = forms.DateField()
    try:
        return field.clean(DATE_WIDGET.value_from_datadict(data, {}, name)) or default
    except forms.ValidationError:
        return default


class MeetingFilterForm(forms.Form):
    """The filters of the meeting list; every choice is narrowed to what the user may see."""

    organ = forms.ModelChoiceField(label="机关", queryset=Organ.objects.none(), required=False, empty_label="全部机关")
    branch = BranchChoiceField(
        label="支部", purpose="visible", required=False, empty_label="全部支部", narrow_by="organ"
    )
    kind = forms.ChoiceField(label="会议类型", choices=[("", "全部类型"), *MeetingKind.choices], required=False)
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None)
    start = forms.DateField(label="日期从", required=False, widget=DATE_WIDGET)
    end = forms.DateField(label="日期至", required=False, widget=DATE_WIDGET)

    def __init__(self, *args, user, years: list[int], show_organ: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if show_organ:
            self.fields["organ"].queryset = Organ.objects.visible_to(user)
        else:
            del self.fields["organ"]
        self.fields["branch"].queryset = Branch.objects.visible_to(user).select_related("organ")
        self.fields["year"].choices = [("", "全部年度"), *((y, f"{y}年") for y in years)]
        style_bar_fields(self.fields)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "结束日期不能早于开始日期。")
        return data

    def apply(self, meetings):
        data = self.cleaned_data
        q = Q()
        if data.get("organ"):
            q &= Q(branch__organ=data["organ"])
        if data.get("branch"):
            q &= Q(branch=data["branch"])
        if data.get("kind"):
            q &= Q(kind=data["kind"])
        if data.get("year"):
            q &= Q(held_on__year=data["year"])
        if data.get("start"):
            q &= Q(held_on__gte=data["start"])
        if data.get("end"):
            q &= Q(held_on__lte=data["end"])
        return meetings.filter(q)


class BranchChoiceForm(forms.Form):
    """Which branch a new meeting is for, when the user may record for several."""

    branch = BranchChoiceField(label="支部", purpose="writable", empty_label="请选择支部")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = writable_branches(user)
