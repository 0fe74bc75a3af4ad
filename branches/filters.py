"""Filters for the branch and member lists; the same filter drives the screen and the export."""

import django_filters
from django import forms
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .choices import BranchKind, Education, Gender, MemberStatus
from .models import Branch, Member, Organ, OrganisationRules
from .rules import WARNING_CHOICES, branches_warned

YES_NO = [("1", "是"), ("0", "否")]


class QuickSelect(forms.Select):
    """A select that writes its options in Python, as Django's templates would: the templates
    include two more templates per option, which made a 90-organ select cost more than all the
    rows of the branch list."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _html_attrs(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>',
                    option["value"],
                    _html_attrs(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


def _html_attrs(attrs: dict) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them: `True` bare, `False` left out."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class StyledFilterSet(django_filters.FilterSet):
    """Bootstrap classes on the filter form's widgets, so the bar renders without a form library;
    `organ` and `branch` filters offer only what the user may see, branches named with their organ."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for declared in self.filters.values():
            # A form field built on the class's filters (the API schema generator builds them) would
            # be copied into every instance with the choices of that moment; build it afresh here.
            declared.__dict__.pop("_field", None)

    def scope_choices(self, user) -> None:
        if "organ" in self.filters:
            self.filters["organ"].queryset = Organ.objects.visible_to(user)
        if "branch" in self.filters:
            self.filters["branch"].queryset = Branch.objects.visible_to(user).select_related("organ")

    @property
    def form(self):
        form = super().form
        if "branch" in form.fields:
            form.fields["branch"].label_from_instance = branch_label
        for field in form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        return form


class BranchFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        label="搜索", method="search", widget=forms.TextInput(attrs={"placeholder": "支部名称"})
    )
    organ = django_filters.ModelChoiceFilter(
        label="机关", queryset=Organ.objects.none(), empty_label="全部机关", widget=QuickSelect
    )
    kind = django_filters.ChoiceFilter(
        label="类型", choices=BranchKind.choices, empty_label="全部类型", widget=QuickSelect
    )
    state = django_filters.ChoiceFilter(
        label="状态",
        choices=[("active", "现有支部"), ("dissolved", "已撤销"), ("all", "全部")],
        empty_label=None,
        method="filter_state",
        widget=QuickSelect,
    )
    warning = django_filters.ChoiceFilter(
        label="预警",
        choices=[("any", "有任一预警"), *WARNING_CHOICES],
        empty_label="不限",
        method="filter_warning",
        widget=QuickSelect,
    )

    class Meta:
        model = Branch
        fields = ["q", "organ", "kind", "state", "warning"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("state", "active")
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.scope_choices(user)

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip())

    def filter_state(self, queryset, name, value):
        if value == "dissolved":
            return queryset.filter(dissolved_on__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(dissolved_on__isnull=True)

    def filter_warning(self, queryset, name, value):
        # The branches with the warning are found in a query of their own (see `branches_warned`);
        # a filter on the list's flag columns would compute every branch's counts several times over.
        today = timezone.localdate()
        keys = branches_warned(
            Branch.objects.visible_to(self.user), OrganisationRules.for_year(today.year), today,
            None if value == "any" else value,
        )  # fmt: skip
        return queryset.filter(pk__in=keys)


class MemberFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        label="搜索", method="search", widget=forms.TextInput(attrs={"placeholder": "姓名、拼音或电话"})
    )
    organ = django_filters.ModelChoiceFilter(
        label="机关", field_name="branch__organ", queryset=Organ.objects.none(), empty_label="全部机关"
    )
    branch = django_filters.ModelChoiceFilter(label="支部", queryset=Branch.objects.none(), empty_label="全部支部")
    status = django_filters.ChoiceFilter(label="党员状态", choices=MemberStatus.choices, empty_label="全部")
    gender = django_filters.ChoiceFilter(label="性别", choices=Gender.choices, empty_label="全部")
    education = django_filters.ChoiceFilter(label="学历", choices=Education.choices, empty_label="全部")
    is_leader = django_filters.ChoiceFilter(label="班子成员", choices=YES_NO, empty_label="全部", method="yes_no")
    is_party_worker = django_filters.ChoiceFilter(label="党务干部", choices=YES_NO, empty_label="全部", method="yes_no")

    class Meta:
        model = Member
        fields = ["q", "organ", "branch", "status", "gender", "education", "is_leader", "is_party_worker"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        compact = value.lower().replace(" ", "")
        return queryset.annotate(_pinyin=Replace("name_pinyin", Value(" "), Value(""))).filter(
            Q(name__icontains=value) | Q(_pinyin__startswith=compact) | Q(phone__contains=compact)
        )

    def yes_no(self, queryset, name, value):
        return queryset.filter(**{name: value == "1"})


def branch_label(branch: Branch) -> str:
    return f"{branch.organ.display_short} · {branch.name}"
