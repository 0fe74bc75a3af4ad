"""Organisation-setting warnings (组织设置预警), checked where the rules bite.

Each warning is one boolean annotation computed in the database, so that the branch list can
filter and count by it, and one sentence that explains it on the branch page. The conditions read
the branch's kept figures (`BranchQuerySet.with_stats`, see `branches.figures`); the rules and the day
are applied when read, so a new year's rules or a term running out need no rewrite.
"""

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Q

from .choices import BranchKind


@dataclass(frozen=True)
class WarningKind:
    code: str
    label: str


TOO_FEW = WarningKind("too_few", "正式党员不足")
NEEDS_COMMITTEE = WarningKind("needs_committee", "应设支委会未设")
COMMITTEE_SIZE = WarningKind("committee_size", "支委会人数不符")
TOO_MANY = WarningKind("too_many", "党员人数过多")
NO_SECRETARY = WarningKind("no_secretary", "未配备书记")
TERM_EXPIRED = WarningKind("term_expired", "届期已满未换届")

WARNING_KINDS = [TOO_FEW, NEEDS_COMMITTEE, COMMITTEE_SIZE, TOO_MANY, NO_SECRETARY, TERM_EXPIRED]
WARNING_CHOICES = [(w.code, w.label) for w in WARNING_KINDS]


def _flag(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(Q(dissolved_on__isnull=True) & q, output_field=BooleanField())


def warning_conditions(rules, today: datetime.date) -> dict:
    """Each warning as a condition over `BranchQuerySet.with_stats()` columns."""
    has_committee_size = Q(term_size__gte=rules.committee_min_size)
    big = Q(n_full__gte=rules.committee_threshold)
    return {
        TOO_FEW: Q(n_full__lt=rules.min_full_members) & ~Q(kind=BranchKind.JOINT),
        NEEDS_COMMITTEE: big & ~has_committee_size,
        COMMITTEE_SIZE: (big & Q(term_size__gt=rules.committee_max_size))
        | (~big & Q(term_size__gt=rules.no_committee_max_size)),
        TOO_MANY: Q(n_members__gt=rules.max_members),
        NO_SECRETARY: Q(has_secretary=False),
        TERM_EXPIRED: Q(term_ends_on__lt=today),
    }


def warning_annotations(rules, today: datetime.date) -> dict:
    """Expressions over `BranchQuerySet.with_stats()` columns, named `w_<code>`."""
    flags = warning_conditions(rules, today)
    annotations = {f"w_{kind.code}": _flag(q) for kind, q in flags.items()}
    any_warning = Q()
    for kind in WARNING_KINDS:
        any_warning |= Q(**{f"w_{kind.code}": True})
    annotations["has_warning"] = ExpressionWrapper(any_warning, output_field=BooleanField())
    return annotations


def warning_filter(rules, today: datetime.date, code: str | None = None) -> Q:
    """The condition for the warning `code` (any warning when None) over `with_stats()` columns.

    As in the `w_*` flags, a dissolved branch warns of nothing.
    """
    conditions = {kind.code: q for kind, q in warning_conditions(rules, today).items()}
    if code is None:
        condition = Q()
        for q in conditions.values():
            condition |= q
    else:
        condition = conditions[code]
    return condition & Q(dissolved_on__isnull=True)


def warning_counts(branches, rules, today: datetime.date) -> dict[str, int]:
    """How many of `branches` there are ("total"), have each warning (by code) and any ("any"), in one query.

    The conditions are tested on the kept figures (`with_stats`), one joined row per branch.
    """
    conditions = warning_conditions(rules, today)
    any_warning = Q()
    for q in conditions.values():
        any_warning |= q
    return (
        branches.with_stats()
        .order_by()
        .aggregate(
            total=Count("pk"),
            any=Count("pk", filter=any_warning),
            **{kind.code: Count("pk", filter=q) for kind, q in conditions.items()},
        )
    )


def current_warning_counts(user, today: datetime.date) -> dict[str, int]:
    """`warning_counts` of the current branches the user sees."""
    from .models import Branch, OrganisationRules

    return warning_counts(Branch.objects.visible_to(user).active(), OrganisationRules.for_year(today.year), today)


def branches_warned(branches, rules, today: datetime.date, code: str | None = None) -> list[int]:
    """The keys of `branches` with the warning `code` (with any warning when None), in one query."""
    condition = warning_filter(rules, today, code)
    return list(branches.with_stats().filter(condition).order_by("pk").values_list("pk", flat=True))


def describe_warnings(branch, rules) -> list[tuple[WarningKind, str]]:
    """The warnings of a branch annotated by `with_warnings`, each with its explanation."""
    texts = {
        TOO_FEW: f"正式党员 {branch.n_full} 名，少于 {rules.min_full_members} 名，应与邻近单位组建联合党支部。",
        NEEDS_COMMITTEE: (
            f"正式党员 {branch.n_full} 名，达到 {rules.committee_threshold} 名，应设立支部委员会"
            f"（{rules.committee_min_size}–{rules.committee_max_size} 人），当前班子 {branch.term_size} 人。"
        ),
        COMMITTEE_SIZE: (
            f"支委会 {branch.term_size} 人，超过 {rules.committee_max_size} 人。"
            if branch.n_full >= rules.committee_threshold
            else f"正式党员不足 {rules.committee_threshold} 名，不设支委会，只设书记（可设副书记），"
            f"当前班子 {branch.term_size} 人。"
        ),
        TOO_MANY: f"党员 {branch.n_members} 名，超过 {rules.max_members} 名，宜分设支部。",
        NO_SECRETARY: "当前届次未配备支部书记。",
        TERM_EXPIRED: f"本届任期已于 {branch.term_ends_on:%Y年%m月%d日} 届满，应按期换届。"
        if branch.term_ends_on
        else "",
    }
    return [(kind, texts[kind]) for kind in WARNING_KINDS if getattr(branch, f"w_{kind.code}", False)]
