"""The project workflow up to 工委 filing: one function per transition.

Each function locks the project row, checks the role and the state, writes the change and a
`ProjectEvent`, and defers notifications until the transaction commits. Pages, commands and the
API call these and nothing else to move a project.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from branches.models import Branch
from core.errors import DomainError, IllegalTransition
from core.workflow import locked, record, require_state

from . import notices, rules, selectors
from .choices import ProjectStatus
from .models import Milestone, Project, ProjectEvent, ProjectYearConfig, RubricCriterion, TopicList
from .permissions import FILE_PROJECT, RESCHEDULE_MILESTONES, RETURN_AT_FILING, REVIEW_PROJECT

DEFAULT_RUBRIC = [
    ("实效性", 50, "解决业务难题的实际成效"),
    ("创新性", 25, "做法和机制的创新"),
    ("可操作性", 25, "可复制、可推广"),
]


class ProjectError(DomainError):
    """The step is refused for a reason other than the state; the message is shown to the user."""


def config_for_year(year: int) -> ProjectYearConfig:
    """The year's rules as saved, or, for a year not opened yet, what opening it would save (unsaved, pk None).

    Never writes; `rubric_of` gives its criteria either way, `ensure_config` is the writer.
    """
    config = ProjectYearConfig.objects.filter(year=year).first()
    if config is not None:
        return config
    config, rubric = carried_over(year)
    config.unsaved_rubric = [
        RubricCriterion(name=name, max_points=points, description=text, order=i)
        for i, (name, points, text) in enumerate(rubric)
    ]
    return config


def rubric_of(config: ProjectYearConfig) -> list[RubricCriterion]:
    """The year's acceptance criteria in order: saved, or the unsaved copies of a year not opened yet."""
    if config.pk is None:
        return list(config.unsaved_rubric)
    return list(config.criteria.order_by("order", "pk"))


def carried_over(year: int, config_model=ProjectYearConfig) -> tuple[ProjectYearConfig, list[tuple]]:
    """The unsaved rules a new year starts with and its rubric as (name, max points, description): a copy of
    the latest earlier year's, or the defaults. `config_model` is the historical model in a data migration."""
    previous = config_model.objects.filter(year__lt=year).order_by("-year").first()
    if previous is None:
        return config_model(year=year), list(DEFAULT_RUBRIC)
    rubric = list(previous.criteria.order_by("order", "pk").values_list("name", "max_points", "description"))
    config = previous
    config.pk, config.year = None, year
    return config, rubric


def ensure_config(year: int, *, by=None) -> ProjectYearConfig:
    """Open the year: save the rules `config_for_year` reads for it. Idempotent; when two callers race, the
    unique year decides and the loser reads the winner's row. Called by what needs the saved row or its
    criteria: editing the year's rules, requesting, scoring and confirming acceptance, the yearly job."""
    config = ProjectYearConfig.objects.filter(year=year).first()
    if config is not None:
        return config
    try:
        with transaction.atomic():
            config, rubric = carried_over(year)
            record(config, by, "生成年度规则")
            for i, (name, points, text) in enumerate(rubric):
                criterion = RubricCriterion(config=config, name=name, max_points=points, description=text, order=i)
                record(criterion, by, "生成年度规则")
            return config
    except IntegrityError:
        # Another caller opened the year at the same moment; theirs is as good as ours.
        return ProjectYearConfig.objects.get(year=year)


# --- 党委出题 ---------------------------------------------------------------------------


def window_for(branch, year: int) -> TopicList | None:
    """The organ's published topic list for the year, else the 工委's city-wide one."""
    lists = TopicList.objects.filter(year=year, published_at__isnull=False).filter(
        Q(organ_id=branch.organ_id) | Q(organ__isnull=True)
    )
    # The organ's own list comes first; NULLs sort last in ascending order on PostgreSQL and SQLite alike.
    return lists.order_by(F("organ_id").asc(nulls_last=True)).first()


def filing_is_open(branch, year: int, today: datetime.date | None = None) -> bool:
    window = window_for(branch, year)
    return window is not None and window.is_open_on(today or timezone.localdate())


@transaction.atomic
def publish_topic_list(topic_list: TopicList, *, by) -> TopicList:
    if not rules.can_publish_topics(by, topic_list.organ_id):
        raise PermissionDenied("您无权发布该机关的选题。")
    topic_list = TopicList.objects.select_for_update().get(pk=topic_list.pk)
    if topic_list.published_at is not None:
        raise IllegalTransition("选题已发布。")
    if not topic_list.topics.exists():
        raise ProjectError("请至少添加一个题目后再发布。")
    topic_list.published_at = timezone.now()
    topic_list._history_user = by
    topic_list._change_reason = "发布选题"
    topic_list.save(update_fields=["published_at"])
    return topic_list


@transaction.atomic
def reopen_filing(topic_list: TopicList, *, until: datetime.date, reason: str, by) -> TopicList:
    """Let branches file after the deadline: an explicit act with a reason, kept in the history."""
    if not rules.can_publish_topics(by, topic_list.organ_id):
        raise PermissionDenied("您无权调整该机关的立项期限。")
    if not reason.strip():
        raise ProjectError("请填写补报原因。")
    if until <= topic_list.closes_on:
        raise ProjectError("补报截止日期应晚于原立项截止日期。")
    topic_list = TopicList.objects.select_for_update().get(pk=topic_list.pk)
    topic_list.reopened_until = until
    topic_list.reopen_reason = reason.strip()
    topic_list._history_user = by
    topic_list._change_reason = f"开放补报至 {until:%Y-%m-%d}：{reason.strip()}"
    topic_list.save(update_fields=["reopened_until", "reopen_reason"])
    return topic_list


# --- 支部立项 → 审核 → 备案 -------------------------------------------------------------


def check_project_cap(branch: Branch, year: int, *, exclude_pk: int | None = None) -> None:
    """Refuse a project beyond the year's cap on projects per branch (a year without a cap has room for all).

    Called by the writer of a project (`save_project`, for the page and the API) inside its transaction: the
    branch row is locked first, so that two filings at the same moment cannot both take the last place.
    """
    cap = config_for_year(year).max_projects_per_branch
    if cap is None:
        return
    list(Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk", flat=True))
    n = selectors.branch_year_projects(branch.pk, year, exclude_pk=exclude_pk).count()
    if n >= cap:
        raise ProjectError(f"{branch.name} {year} 年度已有 {n} 个项目，已达到该年度每个支部至多 {cap} 个项目的上限。")


def _move(project: Project, *, to: str, action: str, by, reason: str = "", **fields) -> Project:
    event = ProjectEvent(
        project=project, actor=by, action=action, from_status=project.status, to_status=to, reason=reason
    )
    project.status = to
    for name, value in fields.items():
        setattr(project, name, value)
    project._history_user = by
    project._change_reason = f"{action}" + (f"：{reason}" if reason else "")
    project.save()
    event.save()
    return project


@transaction.atomic
def submit_project(project: Project, *, by, today: datetime.date | None = None) -> Project:
    project = locked(project, "branch__organ")
    if not rules.is_branch_writer(by, project):
        raise PermissionDenied("只有本支部书记或支委可以提交项目。")
    require_state(project, (ProjectStatus.DRAFT, ProjectStatus.RETURNED), "只有草稿或退回修改的项目可以提交")
    # The window binds the first filing; a project returned for changes may come back at any time.
    if project.status == ProjectStatus.DRAFT and not filing_is_open(project.branch, project.year, today):
        raise ProjectError("立项填报期已截止或尚未开始，不能提交；如需补报，请联系机关党委开放补报。")
    problems = []
    if not project.targets.exists():
        problems.append("至少填写一项可衡量的指标")
    if not project.milestones.exists():
        problems.append("至少安排一个项目节点")
    if project.responsible.branch_id != project.branch_id:
        problems.append("负责支委须为本支部党员")
    if problems:
        raise ProjectError("提交前请完善：" + "；".join(problems) + "。")
    project = _move(
        project, to=ProjectStatus.SUBMITTED, action="提交审核", by=by, submitted_at=timezone.now(), return_reason=""
    )
    notices.submitted(project, by)
    return project


@transaction.atomic
def approve_project(project: Project, *, by, note: str = "") -> Project:
    project = locked(project, "branch__organ")
    REVIEW_PROJECT.require(by, project)
    require_state(project, (ProjectStatus.SUBMITTED,), "只有待审核的项目可以审核通过")
    project = _move(
        project, to=ProjectStatus.APPROVED, action="审核通过", by=by, reason=note, approved_at=timezone.now()
    )
    notices.approved(project, by)
    return project


@transaction.atomic
def return_project(project: Project, *, by, reason: str) -> Project:
    """Send the project back to the branch with a reason the secretary sees."""
    project = locked(project, "branch__organ")
    if not reason.strip():
        raise ProjectError("退回时请写明原因，便于支部修改。")
    if project.status == ProjectStatus.SUBMITTED:
        if not rules.is_organ_reviewer(by, project):
            raise PermissionDenied("只有本机关党委或工委工作人员可以退回项目。")
    elif project.status == ProjectStatus.APPROVED:
        RETURN_AT_FILING.require(by)
    else:
        raise IllegalTransition(f"只有待审核或待备案的项目可以退回（当前状态：{project.get_status_display()}）")
    project = _move(
        project,
        to=ProjectStatus.RETURNED,
        action="退回修改",
        by=by,
        reason=reason.strip(),
        return_reason=reason.strip(),
    )
    notices.returned(project, by)
    return project


@transaction.atomic
def file_project(project: Project, *, by, note: str = "") -> Project:
    project = locked(project, "branch__organ")
    FILE_PROJECT.require(by)
    require_state(project, (ProjectStatus.APPROVED,), "只有机关党委审核通过的项目可以备案")
    project = _move(project, to=ProjectStatus.FILED, action="工委备案", by=by, reason=note, filed_at=timezone.now())
    notices.filed(project, by)
    return project


@transaction.atomic
def change_milestone_date(milestone: Milestone, *, planned_on: datetime.date, reason: str, by) -> Milestone:
    """Planned dates are promises once a project is approved: moving one needs a reason on record."""
    milestone = Milestone.objects.select_for_update().select_related("project__branch").get(pk=milestone.pk)
    project = milestone.project
    RESCHEDULE_MILESTONES.require(by, project)
    if project.status in (ProjectStatus.ACCEPTED, ProjectStatus.ACCEPTANCE_REQUESTED):
        raise IllegalTransition("项目已申请验收，节点不能再调整。")
    if milestone.completed_on is not None:
        raise IllegalTransition("节点已完成，计划日期不能再调整。")
    if not project.start_on <= planned_on <= project.end_on:
        raise ProjectError(f"节点日期应在项目期限内（{project.start_on:%Y-%m-%d} 至 {project.end_on:%Y-%m-%d}）。")
    needs_reason = not project.is_editable
    if needs_reason and not reason.strip():
        raise ProjectError("项目审核通过后调整计划日期，须说明原因。")
    if planned_on == milestone.planned_on:
        return milestone
    old = milestone.planned_on
    milestone.planned_on = planned_on
    milestone._history_user = by
    milestone._change_reason = f"计划日期 {old:%Y-%m-%d} → {planned_on:%Y-%m-%d}" + (
        f"：{reason.strip()}" if reason.strip() else ""
    )
    milestone.save(update_fields=["planned_on"])
    return milestone
