"""Forms of the organisation pages. Every choice list is narrowed to what the user may change."""

from django import forms
from django.db.models import Q
from django.forms import formset_factory
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_of
from core.filters import QuickSelect
from core.forms import DATE_WIDGET
from core.uploads import validate_rule_mb
from core.validators import id_number_birth_date, mask_id_number, normalize_id_number

from ..access import manageable_organs, writable_branches
from ..choices import CommitteePost, MemberStatus
from ..models import GROUP_ORDER, Branch, CommitteeTerm, Member, Organ, OrganisationRules, PartyGroup, add_years
from ..search import BranchChoiceField


class BranchForm(forms.ModelForm):
    class Meta:
        model = Branch
        fields = ["organ", "name", "kind", "founded_on", "note"]
        widgets = {"founded_on": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organ"].queryset = manageable_organs(user)
        if self.instance.pk and not scope_of(user).can_manage_organ(self.instance.organ_id):
            # A branch secretary may correct the name and notes, not move the branch.
            self.fields["organ"].queryset = Organ.objects.filter(pk=self.instance.organ_id)
            for name in ("organ", "kind", "founded_on"):
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        organ, name = data.get("organ"), data.get("name")
        if organ and name:
            clash = Branch.objects.active().filter(organ=organ, name=name.strip()).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", "该机关已有同名的现有支部。")
        founded = data.get("founded_on")
        if founded and founded > timezone.localdate():
            self.add_error("founded_on", "成立日期不能晚于今天。")
        return data


class DissolveForm(forms.Form):
    dissolved_on = forms.DateField(label="撤销日期", widget=DATE_WIDGET, initial=timezone.localdate)
    reason = forms.CharField(
        label="撤销原因", max_length=200, widget=forms.TextInput(attrs={"placeholder": "如：机构改革合并"})
    )
    confirm = forms.BooleanField(label="我已确认：撤销后该支部不再出现在现有支部中，历史记录保留。", required=True)

    def clean_dissolved_on(self):
        value = self.cleaned_data["dissolved_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("撤销日期不能晚于今天。")
        return value


class MemberForm(forms.ModelForm):
    # A 工委 may write thousands of branches: the branch is searched for, and the 党小组 select offers the
    # chosen branch's groups only (fetched again when the branch changes, `branches:group_options`).
    branch = BranchChoiceField(label="所在支部", purpose="writable")

    class Meta:
        model = Member
        fields = [
            "name", "gender", "ethnicity", "birth_date", "id_number", "education", "organ", "post", "phone",
            "branch", "party_group", "status", "joined_on", "confirmed_on", "is_leader", "is_party_worker",
        ]  # fmt: skip
        widgets = {
            "birth_date": DATE_WIDGET,
            "joined_on": DATE_WIDGET,
            "confirmed_on": DATE_WIDGET,
            "organ": QuickSelect,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        branches = writable_branches(user)
        self.fields["branch"].queryset = branches.select_related("organ")
        organs = Organ.objects.visible_to(user)
        if self.instance.pk:
            # A seconded cadre may work in another organ; editing must not reject the stored value.
            organs = Organ.objects.filter(Q(pk__in=organs.values("pk")) | Q(pk=self.instance.organ_id))
        self.fields["organ"].queryset = organs
        groups = PartyGroup.objects.filter(branch__in=branches)
        self.fields["party_group"].queryset = groups
        self.fields["party_group"].widget.choices = group_options(groups, self._chosen_branch())
        self.fields["party_group"].widget.attrs.update(
            {
                "data-hx-get": reverse("branches:group_options"),
                "data-hx-trigger": "change from:(select[name=branch])",
                "data-hx-include": "select[name=branch]",
                "data-hx-target": "this",
                "data-hx-swap": "innerHTML",
            }
        )
        self.fields["id_number"].help_text = "选填；填写后自动校验校验位和出生日期"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        self.show_full_id = scope.can_see_full_id_numbers()
        if self.instance.pk and self.instance.id_number and not self.show_full_id:
            # Others see the number masked; leaving the masked value keeps the stored one.
            self.initial["id_number"] = mask_id_number(self.instance.id_number)

    def _chosen_branch(self) -> int | None:
        raw = self.data.get(self.add_prefix("branch")) if self.is_bound else self.initial.get("branch")
        if raw is None and not self.is_bound:
            raw = self.instance.branch_id
        raw = getattr(raw, "pk", raw)
        return int(raw) if str(raw or "").isdigit() else None

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data.get("id_number", ""))
        if self.instance.pk and "*" in value and value == mask_id_number(self.instance.id_number):
            return self.instance.id_number
        if value and Member.objects.filter(id_number=value).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("该身份证号已登记在其他党员名下。")
        return value

    def clean(self):
        data = super().clean()
        return validate_member_data(self, data)


def group_options(groups, branch_id: int | None) -> list[tuple]:
    """The 党小组 choices of one branch (none chosen yet: only the prompt)."""
    if branch_id is None:
        return [("", "请先选择支部")]
    rows = groups.filter(branch_id=branch_id).order_by(*GROUP_ORDER).values_list("pk", "name")
    return [("", "（不编入党小组）"), *rows]


def validate_member_data(form, data: dict) -> dict:
    """Cross-field rules shared by the form and the roster import (errors added to `form`)."""
    birth, joined, confirmed = data.get("birth_date"), data.get("joined_on"), data.get("confirmed_on")
    status, id_number = data.get("status"), data.get("id_number")
    today = timezone.localdate()
    if birth and birth > today:
        form.add_error("birth_date", "出生日期不能晚于今天。")
    if birth and id_number and "*" not in id_number:
        try:
            if id_number_birth_date(id_number) != birth:
                form.add_error("id_number", "身份证号中的出生日期与填写的出生日期不一致。")
        except ValueError:
            pass
    if joined:
        if joined > today:
            form.add_error("joined_on", "入党日期不能晚于今天。")
        if birth and joined < add_years(birth, 18):
            form.add_error("joined_on", "入党时应年满十八周岁。")
    if status == MemberStatus.PROBATIONARY and confirmed:
        form.add_error("confirmed_on", "预备党员没有转正日期；转正后请把状态改为正式党员。")
    if status == MemberStatus.FULL and joined and not confirmed and joined > add_years(today, -1):
        form.add_error("status", "入党不满一年的应为预备党员。")
    if confirmed and joined and confirmed < joined:
        form.add_error("confirmed_on", "转正日期不能早于入党日期。")
    if confirmed and confirmed > today:
        form.add_error("confirmed_on", "转正日期不能晚于今天。")
    group, branch = data.get("party_group"), data.get("branch")
    if group and branch and group.branch_id != branch.pk:
        form.add_error("party_group", "所选党小组不属于该支部。")
    return data


class PartyGroupForm(forms.ModelForm):
    class Meta:
        model = PartyGroup
        fields = ["name", "leader"]

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch
        self.fields["leader"].queryset = branch.members.all()

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if PartyGroup.objects.filter(branch=self.branch, name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("本支部已有同名党小组。")
        return name


class CommitteeTermForm(forms.ModelForm):
    class Meta:
        model = CommitteeTerm
        fields = ["elected_on", "term_years", "note"]
        widgets = {"elected_on": DATE_WIDGET}

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch
        if not self.instance.pk:
            self.initial.setdefault("term_years", OrganisationRules.for_year(timezone.localdate().year).term_years)
        self.fields["term_years"].min_value = 1
        self.fields["term_years"].max_value = 5

    def clean_elected_on(self):
        value = self.cleaned_data["elected_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("选举日期不能晚于今天。")
        if value < self.branch.founded_on:
            raise forms.ValidationError("选举日期不能早于支部成立日期。")
        if CommitteeTerm.objects.filter(branch=self.branch, elected_on=value).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("该日期已有一届选举记录。")
        return value


class SeatForm(forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none(), required=False)
    post = forms.ChoiceField(label="职务", choices=CommitteePost.choices, required=False)

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = branch.members.all()

    def clean(self):
        data = super().clean()
        if data.get("member") and not data.get("post"):
            self.add_error("post", "请选择职务。")
        if data.get("member") and data["member"].status == MemberStatus.PROBATIONARY:
            self.add_error("member", "预备党员没有选举权和被选举权，不能担任支委。")
        return data


class BaseSeatFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen, posts = set(), []
        for form in self.forms:
            member, post = form.cleaned_data.get("member"), form.cleaned_data.get("post")
            if not member:
                continue
            if member.pk in seen:
                raise forms.ValidationError(f"{member.name} 重复出现。")
            seen.add(member.pk)
            posts.append(post)
        if CommitteePost.SECRETARY not in posts:
            raise forms.ValidationError("每届须有一名书记。")
        for unique_post in (CommitteePost.SECRETARY, CommitteePost.DEPUTY):
            if posts.count(unique_post) > 1:
                raise forms.ValidationError(f"每届只能有一名{CommitteePost(unique_post).label}。")

    def seats(self) -> list[tuple]:
        return [(f.cleaned_data["member"], f.cleaned_data["post"]) for f in self.forms if f.cleaned_data.get("member")]


SeatFormSet = formset_factory(SeatForm, formset=BaseSeatFormSet, extra=0, max_num=15, validate_max=True)


class OrganisationRulesForm(forms.ModelForm):
    class Meta:
        model = OrganisationRules
        fields = [
            "year", "min_full_members", "committee_threshold", "committee_min_size", "committee_max_size",
            "no_committee_max_size", "max_members", "term_years", "max_attachment_mb",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["max_attachment_mb"].validators.append(validate_rule_mb)

    def clean(self):
        data = super().clean()
        low, high = data.get("committee_min_size"), data.get("committee_max_size")
        if low is not None and high is not None and low > high:
            self.add_error("committee_max_size", "最多委员数不能小于最少委员数。")
        years = data.get("term_years")
        if years is not None and not 1 <= years <= 5:
            self.add_error("term_years", "任期应在 1 至 5 年之间。")
        return data
