"""Account management forms: an account for a roster member, and the roles granted to it."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UsernameField

from accounts.models import Role
from accounts.scope import scope_of

from ..access import writable_branches
from ..models import Organ
from ..search import BranchChoiceField, MemberChoiceField, unlinked_members


class AccountForm(forms.ModelForm):
    member = MemberChoiceField(
        label="绑定党员", purpose="unlinked", required=False, help_text="绑定后该账号可查看本人档案和任务"
    )

    class Meta:
        model = get_user_model()
        fields = ["username", "full_name", "email"]
        field_classes = {"username": UsernameField}
        help_texts = {"username": "登录用的用户名，建议用姓名拼音，如 zhangwei"}

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["member"].queryset = unlinked_members(manager)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("该用户名已被使用。")
        return username


class GrantRoleForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    organ = forms.ModelChoiceField(label="机关", queryset=Organ.objects.none(), required=False)
    branch = BranchChoiceField(label="支部", purpose="writable", required=False)

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(manager)
        if not scope.is_gongwei:
            # 机关党委 staff appoint branch secretaries; organ and 工委 roles come from the 工委.
            self.fields["role"].choices = [(Role.BRANCH, Role.BRANCH.label)]
            del self.fields["organ"]
        else:
            self.fields["organ"].queryset = Organ.objects.all()
        self.fields["branch"].queryset = writable_branches(manager)

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role == Role.ORGAN and not data.get("organ"):
            self.add_error("organ", "请选择机关。")
        if role == Role.BRANCH and not data.get("branch"):
            self.add_error("branch", "请选择支部。")
        # Only the target that belongs to the role is kept.
        if role != Role.ORGAN:
            data["organ"] = None
        if role != Role.BRANCH:
            data["branch"] = None
        return data
