"""Forms of the 评审专家 panel on the project page: assign an expert, withdraw one with a reason."""

from django import forms

from ..experts import candidates_for
from ..models import Project


class ExpertAssignForm(forms.Form):
    expert = forms.ModelChoiceField(
        label="评审专家",
        queryset=None,
        empty_label="请选择评审专家",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={
            "required": "请选择评审专家。",
            "invalid_choice": "所选账号不能评审该项目（不是评审专家、已在评审组中，或属于本支部）。",
        },
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = candidates_for(project)
        self.fields["expert"].label_from_instance = lambda user: f"{user}（{user.username}）"


class ExpertWithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=200, error_messages={"required": "请填写撤回原因。"})
