"""公开验收: the branch requests acceptance, reviewers score, the 工委 accepts, grades and picks the 十佳.

Grades depend on every accepted project of the year (the 优秀 quota is a share of them), so
accepting one project regrades its year; `assign_grades` holds that rule as a pure function.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.selectors import branch_committee_users, gongwei_users, organ_staff_users
from core.quotas import beyond_quota
from core.workflow import locked, require_state
from notifications.services import notify

from . import rules
from .choices import Grade, ProjectStatus
from .models import (
    AcceptanceMark,
    AcceptanceReview,
    Milestone,
    Project,
    ProjectEvent,
    ProjectYearConfig,
    RubricCriterion,
)
from .permissions import SET_YEAR_RULES
from .services import IllegalTransition, ProjectError, _move, config_for_year, ensure_config, rubric_of

CENT = Decimal("0.01")


@dataclass(frozen=True)
class TargetResult:
    """What the branch reports for one target at acceptance."""

    target_id: int
    actual_value: Decimal
    note: str = ""


@dataclass(frozen=True)
class Scored:
    """One accepted project as the grading rule sees it: its score alone, so that the order of acceptance
    cannot decide a grade."""

    pk: int
    score: Decimal


# --- request ------------------------------------------------------------------------------


def weighted_progress(milestones: Iterable[Milestone]) -> Decimal:
    """Milestone percents weighted by milestone weight, exact (0 with no milestones)."""
    milestones = list(milestones)
    weights = sum(m.weight for m in milestones)
    if not weights:
        return Decimal(0)
    return Decimal(sum(m.weight * m.percent for m in milestones)) / weights


def shown_percent(value: Decimal) -> str:
    """A progress as the messages print it: one decimal at most, rounded down, so that 99.96 never reads
    as the 100 it falls short of."""
    text = f"{value.quantize(Decimal('0.1'), rounding=ROUND_DOWN):f}"
    return text.removesuffix(".0")


def progress_shortfall(project: Project, milestones: Iterable[Milestone], config: ProjectYearConfig) -> str:
    """Why the project's weighted progress is too low to request acceptance under its year's rules, or ""."""
    progress = weighted_progress(milestones)
    minimum = config.min_acceptance_progress
    if progress >= minimum:
        return ""
    return (
        f"项目加权完成进度为 {shown_percent(progress)}%，未达到{project.year}年度申请验收的最低要求 {minimum}%，"
        "请先填报节点进展。"
    )


def _explain_not_done(milestones: list[Milestone], not_done: Mapping[int, str], by) -> None:
    """Check that every milestone not completed has a reason, then keep the reasons for the reviewers."""
    by_pk = {m.pk: m for m in milestones}
    if set(not_done) - set(by_pk):
        raise ProjectError("提交的节点不属于本项目。")
    reasons = {pk: (text or "").strip() for pk, text in not_done.items()}
    done_but_explained = [by_pk[pk].title for pk, text in reasons.items() if text and by_pk[pk].completed_on]
    if done_but_explained:
        raise ProjectError("以下节点已完成，无需填写未完成原因：" + "、".join(done_but_explained) + "。")
    unexplained = [m.title for m in milestones if m.completed_on is None and not reasons.get(m.pk)]
    if unexplained:
        raise ProjectError("以下节点尚未完成，请逐一说明未完成原因：" + "、".join(unexplained) + "。")
    for milestone in milestones:
        reason = reasons.get(milestone.pk, "") if milestone.completed_on is None else ""
        if milestone.not_done_reason == reason:
            continue
        milestone.not_done_reason = reason
        milestone._history_user = by
        milestone._change_reason = "申请验收，说明未完成原因"
        milestone.save(update_fields=["not_done_reason"])


@transaction.atomic
def request_acceptance(
    project: Project,
    *,
    summary: str,
    results: Iterable[TargetResult],
    not_done: Mapping[int, str] | None = None,
    by,
) -> Project:
    """The branch reports what it achieved against each target and asks for public acceptance.

    Only work done or accounted for goes to the reviewers: the weighted progress must reach the year's
    minimum, and each milestone not completed needs a reason (`not_done`, by milestone pk) they will read.
    """
    project = locked(project, "branch__organ")
    if not rules.is_branch_writer(by, project):
        raise PermissionDenied("只有本支部书记或支委可以申请验收。")
    require_state(project, (ProjectStatus.FILED,), "只有工委备案、实施中的项目可以申请验收")
    if not summary.strip():
        raise ProjectError("请填写验收总结。")
    targets = {t.pk: t for t in project.targets.all()}
    reported = {r.target_id: r for r in results}
    if set(reported) - set(targets):
        raise ProjectError("提交的指标不属于本项目。")
    missing = [t.name for pk, t in targets.items() if pk not in reported]
    if missing:
        raise ProjectError("请填写每项指标的完成值：" + "、".join(missing) + "。")
    # Locked, so that progress filed at this moment cannot slip past the check.
    milestones = list(project.milestones.select_for_update().order_by("planned_on", "pk"))
    if shortfall := progress_shortfall(project, milestones, config_for_year(project.year)):
        raise ProjectError(shortfall)
    _explain_not_done(milestones, not_done or {}, by)
    # Reviewers score against the year's saved criteria: a project in acceptance has its year opened.
    ensure_config(project.year, by=by)
    for pk, target in targets.items():
        result = reported[pk]
        target.actual_value = result.actual_value
        target.result_note = result.note.strip()
        target._history_user = by
        target._change_reason = "申请验收，填报完成值"
        target.save(update_fields=["actual_value", "result_note"])
    project = _move(
        project,
        to=ProjectStatus.ACCEPTANCE_REQUESTED,
        action="申请验收",
        by=by,
        acceptance_summary=summary.strip(),
    )
    reviewers = list(gongwei_users()) + list(organ_staff_users(project.branch.organ_id))
    notify(
        reviewers,
        title=f"{project.branch.name}申请验收：{project.title}",
        body="支部已提交验收总结和指标完成情况，请评审打分。",
        url=project.get_absolute_url(),
        key=f"project:{project.pk}:acceptance_requested",
    )
    return project


# --- scoring ------------------------------------------------------------------------------


def _checked_marks(criteria: list[RubricCriterion], marks: Mapping[int, Decimal]) -> dict[int, Decimal]:
    by_pk = {c.pk: c for c in criteria}
    if set(marks) - set(by_pk):
        raise ProjectError("评分项与本年度评分标准不一致，请刷新页面后重新评分。")
    missing = [c.name for c in criteria if marks.get(c.pk) is None]
    if missing:
        raise ProjectError("请为每个评分项打分：" + "、".join(missing) + "。")
    checked = {}
    for criterion in criteria:
        points = Decimal(marks[criterion.pk])
        if points < 0 or points > criterion.max_points:
            raise ProjectError(f"{criterion.name}的得分应在 0 至 {criterion.max_points} 分之间。")
        if points != points.quantize(CENT):
            raise ProjectError(f"{criterion.name}的得分最多保留两位小数。")
        checked[criterion.pk] = points
    return checked


@transaction.atomic
def score_project(project: Project, *, reviewer, marks: Mapping[int, Decimal], comment: str = "") -> AcceptanceReview:
    """Record (or revise) one reviewer's marks; a revision keeps the earlier one in the history."""
    project = locked(project, "branch__organ")
    if not rules.can_score(reviewer, project):
        raise PermissionDenied("您不是该项目的验收评审人。")
    require_state(project, (ProjectStatus.ACCEPTANCE_REQUESTED,), "只有待验收的项目可以评分")
    criteria = rubric_of(ensure_config(project.year, by=reviewer))
    if not criteria:
        raise ProjectError("本年度尚未设置验收评分标准，请联系工委。")
    checked = _checked_marks(criteria, marks)
    review = AcceptanceReview.objects.filter(project=project, reviewer=reviewer).first()
    revising = review is not None
    if review is None:
        review = AcceptanceReview(project=project, reviewer=reviewer)
    review.total = sum(checked.values(), Decimal(0))
    review.comment = comment.strip()
    review._history_user = reviewer
    review._change_reason = "修改评分" if revising else "评分"
    review.save()
    review.marks.all().delete()
    bulk_create_with_history(
        [AcceptanceMark(review=review, criterion_id=pk, points=points) for pk, points in checked.items()],
        AcceptanceMark,
        default_user=reviewer,
        default_change_reason=review._change_reason,
    )
    return review


def average_score(totals: Iterable[Decimal]) -> Decimal:
    """The acceptance score: the mean of the reviewers' totals, rounded half up to two decimals."""
    totals = list(totals)
    if not totals:
        raise ValueError("no totals")
    return (sum(totals, Decimal(0)) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- acceptance and grades --------------------------------------------------------------


def _lock_year(year: int) -> ProjectYearConfig:
    """Grades of a year depend on each other: whatever regrades a year holds its rules row first.

    A project being accepted is not yet among the year's accepted rows that another transaction
    could lock, so locking those rows alone would let two acceptances grade against stale quotas.
    """
    return ProjectYearConfig.objects.select_for_update().get(pk=ensure_config(year).pk)


@transaction.atomic
def finalize_acceptance(project: Project, *, by) -> Project:
    """Close the scoring: the average becomes the score, the result is published and the year regraded."""
    if not rules.is_gongwei(by):
        raise PermissionDenied("只有工委工作人员可以确认验收结果。")
    config = _lock_year(project.year)
    project = locked(project, "branch__organ")
    require_state(project, (ProjectStatus.ACCEPTANCE_REQUESTED,), "只有待验收的项目可以确认验收")
    totals = list(project.reviews.values_list("total", flat=True))
    if len(totals) < config.min_reviewers:
        raise ProjectError(f"评审人数不足：至少需要 {config.min_reviewers} 位评审人评分，目前 {len(totals)} 位。")
    score = average_score(totals)
    now = timezone.now()
    project = _move(
        project,
        to=ProjectStatus.ACCEPTED,
        action="确认验收",
        by=by,
        reason=f"{len(totals)} 位评审人平均得分 {score}",
        score=score,
        accepted_at=now,
        published_at=now,
    )
    regrade_year(project.year, by=by)
    project.refresh_from_db(fields=["grade"])
    notify(
        branch_committee_users(project.branch_id),
        title=f"项目已通过验收：{project.title}",
        body=f"验收得分 {score}，等次：{project.get_grade_display()}。结果已在公开验收结果页公布。",
        url=project.get_absolute_url(),
        key=f"project:{project.pk}:accepted",
    )
    return project


def excellent_quota(n_accepted: int, share: Decimal) -> int:
    return int((Decimal(share) * n_accepted).to_integral_value(rounding=ROUND_FLOOR))


def threshold_grade(score: Decimal, config) -> str:
    if score >= config.excellent_min:
        return Grade.EXCELLENT
    if score >= config.good_min:
        return Grade.GOOD
    if score >= config.pass_min:
        return Grade.PASS
    return Grade.FAIL


def assign_grades(scores: Iterable[Scored], config) -> dict[int, str]:
    """Grades of a year's accepted projects, keyed by pk.

    Thresholds first; then only the quota of the best scores keep 优秀 and the rest above the 优秀 line drop
    to 良好. Equal scores get equal grades: projects tied at the quota's cut drop together, as 5★ branches
    do (`core.quotas`).
    """
    scores = list(scores)
    grades = {s.pk: threshold_grade(s.score, config) for s in scores}
    quota = excellent_quota(len(scores), config.excellent_max_share)
    excellent = {s.pk: s.score for s in scores if grades[s.pk] == Grade.EXCELLENT}
    for pk in beyond_quota(excellent, quota):
        grades[pk] = Grade.GOOD
    return grades


@transaction.atomic
def regrade_year(year: int, *, by=None) -> int:
    """Apply the year's rules to all its accepted projects; returns how many grades changed."""
    config = _lock_year(year)
    projects = list(
        Project.objects.select_for_update()
        .filter(year=year, status=ProjectStatus.ACCEPTED, score__isnull=False)
        .order_by("pk")
        .only("pk", "score", "grade")
    )
    grades = assign_grades((Scored(p.pk, p.score) for p in projects), config)
    changed = 0
    for p in projects:
        if p.grade == grades[p.pk]:
            continue
        p.grade = grades[p.pk]
        p._history_user = by
        p._change_reason = f"按{year}年度验收规则评定等次"
        p.save(update_fields=["grade"])
        changed += 1
    return changed


# --- 十佳 ------------------------------------------------------------------------------


@transaction.atomic
def mark_top_ten(project: Project, *, by, on: bool) -> Project:
    """Mark (or unmark) a 十佳党建项目; the year's quota is checked under a lock on its projects."""
    if not rules.is_gongwei(by):
        raise PermissionDenied("只有工委工作人员可以评选十佳党建项目。")
    # Lock the year's accepted projects so two staff marking at once cannot exceed the quota.
    year_projects = list(
        Project.objects.select_for_update()
        .filter(year=project.year, status=ProjectStatus.ACCEPTED)
        .order_by("pk")
        .only("pk", "is_top_ten")
    )
    project = locked(project, "branch__organ")
    if project.status != ProjectStatus.ACCEPTED:
        raise IllegalTransition(f"只有已验收的项目可以评为十佳（当前状态：{project.get_status_display()}）")
    if project.is_top_ten == on:
        return project
    if on:
        limit = config_for_year(project.year).top_ten_count
        marked = sum(1 for p in year_projects if p.is_top_ten)
        if marked >= limit:
            raise ProjectError(f"{project.year}年度十佳党建项目已选满 {limit} 个，请先取消其他项目后再评选。")
    project.is_top_ten = on
    project._history_user = by
    project._change_reason = "评为十佳党建项目" if on else "取消十佳党建项目"
    project.save(update_fields=["is_top_ten"])
    ProjectEvent.objects.create(
        project=project,
        actor=by,
        action=project._change_reason,
        from_status=project.status,
        to_status=project.status,
    )
    return project


# --- the year's rules -----------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    """One rubric line as edited on the year's rules page; `pk` is None for a new line."""

    pk: int | None
    name: str
    max_points: int
    description: str = ""


CONFIG_FIELDS = (
    "excellent_min", "good_min", "pass_min", "excellent_max_share", "top_ten_count", "min_reviewers",
    "remind_days_before", "escalate_after_days", "duban_answer_days", "max_evidence_mb",
    "min_acceptance_progress", "max_projects_per_branch",
)  # fmt: skip


def rubric_is_locked(config: ProjectYearConfig) -> bool:
    """Once a reviewer has scored against the rubric, changing it would make scores incomparable."""
    return AcceptanceMark.objects.filter(criterion__config=config).exists()


def _check_rubric(rows: list[CriterionRow]) -> None:
    if not rows:
        raise ProjectError("请至少设置一个评分项。")
    names = [r.name.strip() for r in rows]
    if len(set(names)) != len(names):
        raise ProjectError("评分项名称不能重复。")
    total = sum(r.max_points for r in rows)
    if total != 100:
        raise ProjectError(f"评分项满分合计应为 100 分，当前为 {total} 分。")


@transaction.atomic
def update_year_config(config: ProjectYearConfig, *, values: Mapping, criteria: list[CriterionRow] | None, by) -> int:
    """Save a year's thresholds, quotas and (while nobody has scored yet) its rubric, then regrade.

    Returns the number of accepted projects whose grade changed under the new thresholds.
    """
    SET_YEAR_RULES.require(by)
    config = ProjectYearConfig.objects.select_for_update().get(pk=config.pk)
    if not values["pass_min"] <= values["good_min"] <= values["excellent_min"]:
        raise ProjectError("分数线应满足：合格 ≤ 良好 ≤ 优秀。")
    for name in CONFIG_FIELDS:
        setattr(config, name, values[name])
    config.save()
    if criteria is not None:
        if rubric_is_locked(config):
            raise ProjectError("本年度已有评审人按现行评分标准打分，评分项不能再修改。")
        _check_rubric(criteria)
        _replace_rubric(config, criteria)
    return regrade_year(config.year, by=by)


def _replace_rubric(config: ProjectYearConfig, rows: list[CriterionRow]) -> None:
    kept = {r.pk for r in rows if r.pk}
    config.criteria.exclude(pk__in=kept).delete()
    existing = {c.pk: c for c in config.criteria.all()}
    # Names are unique per year: park the kept ones under temporary names so a swap of names saves.
    for c in existing.values():
        c.name = f"~{c.pk}"
    RubricCriterion.objects.bulk_update(existing.values(), ["name"])
    for order, row in enumerate(rows):
        criterion = existing.get(row.pk) or RubricCriterion(config=config)
        criterion.name, criterion.max_points = row.name.strip(), row.max_points
        criterion.description, criterion.order = row.description.strip(), order
        criterion.save()
