"""The project page kept per viewer (projects.views_workflow.project_detail, projects.apps): a kept page costs
only the queries every page costs, every change the portal makes shows on the very next visit, one project's
change keeps the other pages, each viewer gets their own page and CSRF token, and a failing cache or a new day
never serves anything stale."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, RoleAssignment
from branches.models import Branch, Member, Organ
from partybuild import figures as figure_cache
from partybuild.pages import CSRF_SLOT_PREFIX
from partybuild.signals import bulk_written
from projects import acceptance, progress, services
from projects.apps import PAGE_TOPIC
from projects.choices import ProjectStatus, SupervisionKind
from projects.models import (
    AcceptanceMark,
    AcceptanceReview,
    Evidence,
    Milestone,
    MilestoneProgress,
    Project,
    ProjectEvent,
    ProjectYearConfig,
    RubricCriterion,
    Supervision,
    Target,
    Task,
    Topic,
    TopicList,
)
from projects.services import config_for_year
from tests.factories import PASSWORD, MemberFactory, UserFactory, grant
from tests.projects.factories import (
    AcceptanceMarkFactory,
    AcceptanceReviewFactory,
    EvidenceFactory,
    MilestoneFactory,
    MilestoneProgressFactory,
    ProjectFactory,
    SupervisionFactory,
    TargetFactory,
    TaskFactory,
    TopicFactory,
    TopicListFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)  # 17:00 in Beijing
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
CSRF_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")
APPROVED_EVENT = '<span class="fw-semibold">审核通过</span>'  # in the page's 流转记录, not a message


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def logged_in(user, **kwargs) -> Client:
    """A client of its own per user: several viewers take turns within one test."""
    client = Client(**kwargs)
    client.force_login(user)
    return client


def fixed_queries(client) -> int:
    """What any page costs this client (session, user, scope, bell), measured on a page that reads nothing else."""
    url = reverse("accounts:password_done")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def visit(client, project) -> tuple[str, int]:
    """The page's HTML and the queries it cost."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert CSRF_SLOT_PREFIX not in page
    return page, len(ctx.captured_queries)


def kept(client, project, fixed: int) -> str:
    """Visit twice; the second visit must come from the cache. Returns the kept page."""
    visit(client, project)
    page, n = visit(client, project)
    assert n == fixed, "the second visit was computed again"
    return page


def without_tokens(page: str) -> str:
    # Each response carries a freshly masked CSRF token (forms and the htmx header); nothing else may differ.
    return CSRF_TOKEN.sub("", page)


# --- the world: three projects of one branch, each with one of everything its page shows -------------


@pytest.fixture
def world(branch_a, organ_a, gongwei_staff):
    clerk = UserFactory(full_name="记录员王五")  # the actor, author, filer and reviewer of the seeded rows
    config = config_for_year(2026)
    criteria = list(config.criteria.order_by("order", "pk"))
    topic_list = TopicListFactory(organ=organ_a, created_by=clerk)
    topic = TopicFactory(topic_list=topic_list, title="优化营商环境课题")
    responsible = MemberFactory(branch=branch_a, name="赵负责")
    assignee = MemberFactory(branch=branch_a, name="钱任务")
    newcomer = MemberFactory(branch=branch_a, name="孙新人")
    second_reviewer = UserFactory(full_name="评审人李四")
    common = {"branch": branch_a, "topic": topic, "responsible": responsible, "created_by": clerk}

    draft = ProjectFactory(title="草稿项目甲", **common)
    running = ProjectFactory(title="窗口服务提速", filed=True, **common)
    target = TargetFactory(project=running, name="办理时限压缩率")
    milestone = MilestoneFactory(project=running, title="完成窗口改造", planned_on=datetime.date(2026, 12, 15))
    report = MilestoneProgressFactory(milestone=milestone, filed_by=clerk, text="完成一半的改造", percent=50)
    evidence = EvidenceFactory(project=running, report=report, uploaded_by=clerk, original_name="现场照片.png")
    task = TaskFactory(project=running, title="制作办事指南", assignees=[assignee])
    supervision = SupervisionFactory(project=running, author=clerk, text="请加快推进窗口改造。")
    event = ProjectEvent.objects.create(project=running, actor=clerk, action="专项检查")

    judged = ProjectFactory(title="验收项目乙", acceptance_requested=True, **common)
    review = AcceptanceReviewFactory(project=judged, reviewer=clerk, total=Decimal("71.00"), comment="材料翔实")
    mark = AcceptanceMarkFactory(review=review, criterion=criteria[0], points=Decimal("33.25"))

    client = logged_in(gongwei_staff)
    return SimpleNamespace(**locals(), fixed=fixed_queries(client))


def cache_all(world) -> dict:
    pages = {}
    for project in (world.draft, world.running, world.judged):
        pages[project.pk] = kept(world.client, project, world.fixed)
    return pages


# --- the second visit -----------------------------------------------------------------------------


def test_a_second_visit_costs_only_the_fixed_queries_and_shows_the_same_page(world):
    figure_cache.invalidate()
    for project in (world.draft, world.running, world.judged):
        first, n_first = visit(world.client, project)
        second, n_second = visit(world.client, project)
        assert n_first > world.fixed  # the first visit did read the project
        assert n_second == world.fixed
        assert without_tokens(second) == without_tokens(first)
        assert project.title in second


# --- every change shows on the next visit ----------------------------------------------------------
# Each case changes one thing the way the portal does and returns (the project changed, what must now show,
# what must no longer show). PART_CASES touch one project's rows only: the other pages must stay kept, which
# also proves the change went through that project's own token and not, say, a new user's shared one.


def _title_edited(w):
    w.running.title = "窗口服务再提速"
    w.running._history_user = w.gongwei_staff
    w.running.save()
    return w.running, "窗口服务再提速", None


def _target_added(w):
    TargetFactory(project=w.running, name="窗口一次办结率", target_value=Decimal("95"))
    return w.running, "窗口一次办结率", None


def _milestone_moved(w):
    services.change_milestone_date(
        w.milestone, planned_on=datetime.date(2026, 12, 20), reason="施工延期", by=w.gongwei_staff
    )
    return w.running, "施工延期", None


def _progress_filed(w):
    # The same percent as the milestone's: no milestone save, the report alone must replace the token.
    progress.file_progress(w.milestone, by=w.gongwei_staff, text="完成主体施工", percent=w.milestone.percent)
    return w.running, "完成主体施工", None


def _progress_filed_with_evidence(w):
    url = reverse("projects:milestone_progress", args=[w.milestone.pk])
    files = SimpleUploadedFile("验收照片.png", PNG, content_type="image/png")
    response = w.client.post(url, {"text": "完成全部改造", "percent": 80, "files": files})
    assert response.status_code == 302
    return w.running, "验收照片.png", None


def _evidence_added(w):
    EvidenceFactory(project=w.running, report=w.report, uploaded_by=w.clerk, original_name="补充材料.png")
    return w.running, "补充材料.png", None


def _task_added(w):
    TaskFactory(project=w.running, title="整理工作台账")
    return w.running, "整理工作台账", None


def _task_created(w):
    progress.create_task(
        w.running, by=w.gongwei_staff, title="走访企业", description="", assignees=[w.newcomer],
        due_on=datetime.date(2026, 12, 1),
    )  # fmt: skip
    return w.running, "走访企业", None


def _assignee_added(w):
    w.task.assignees.add(w.newcomer)
    return w.running, "孙新人", None


def _assignee_removed(w):
    w.task.assignees.remove(w.assignee)
    return w.running, None, "钱任务"


def _assignee_removed_from_the_member(w):
    w.assignee.tasks.remove(w.task)
    return w.running, None, "钱任务"


def _assignee_cleared_from_the_member(w):
    w.assignee.tasks.clear()
    return w.running, None, "钱任务"


def _task_progress_updated(w):
    progress.update_task_progress(w.task, by=w.gongwei_staff, status="doing", note="已完成初稿")
    return w.running, "已完成初稿", None


def _supervision_added(w):
    progress.add_supervision(w.running, by=w.gongwei_staff, kind=SupervisionKind.NOTE, text="请注意施工安全。")
    return w.running, "请注意施工安全。", None


def _event_added(w):
    ProjectEvent.objects.create(project=w.running, actor=w.clerk, action="约谈提醒")
    return w.running, "约谈提醒", None


def _review_added(w):
    AcceptanceReviewFactory(project=w.judged, reviewer=w.second_reviewer, total=Decimal("64.50"), comment="亮点突出")
    return w.judged, "亮点突出", None


def _mark_added(w):
    AcceptanceMarkFactory(review=w.review, criterion=w.criteria[1], points=Decimal("12.75"))
    return w.judged, "12.75", None


def _scored(w):
    marks = {c.pk: Decimal(c.max_points) - 1 for c in w.criteria}
    acceptance.score_project(w.judged, reviewer=w.gongwei_staff, marks=marks, comment="评分意见甲")
    return w.judged, "评分意见甲", None


def _deleted(model, attr, shown):
    def change(w):
        row = getattr(w, attr)
        project = w.judged if model in (AcceptanceReview, AcceptanceMark) else w.running
        assert isinstance(row, model)
        row.delete()
        return project, None, shown

    change.__name__ = f"_{model.__name__.lower()}_deleted"
    return change


def _task_deleted(w):
    progress.delete_task(w.task, by=w.gongwei_staff)
    return w.running, None, "制作办事指南"


def _tasks_updated_in_bulk(w):
    Task.objects.filter(pk=w.task.pk).update(title="批量改名的任务")
    bulk_written.send(sender=Task, using="default")
    return w.running, "批量改名的任务", None


def _branch_renamed(w):
    w.branch_a.name = "综合处第一党支部"
    w.branch_a.save()
    return w.running, "综合处第一党支部", None


def _organ_renamed(w):
    w.organ_a.short_name = "发改委机关"
    w.organ_a.save()
    return w.running, "发改委机关", None


def _responsible_renamed(w):
    w.responsible.name = "周负责"
    w.responsible.save()
    return w.running, "周负责", "赵负责"


def _assignee_renamed(w):
    w.assignee.name = "吴任务"
    w.assignee.save()
    return w.running, "吴任务", "钱任务"


def _actor_renamed(w):
    w.clerk.full_name = "记录员赵六"
    w.clerk.save()
    return w.running, "记录员赵六", "记录员王五"


def _topic_retitled(w):
    w.topic.title = "数字政府建设课题"
    w.topic.save()
    return w.running, "数字政府建设课题", "优化营商环境课题"


def _filing_reopened(w):
    services.reopen_filing(w.topic_list, until=datetime.date(2026, 12, 31), reason="补报", by=w.gongwei_staff)
    return w.draft, "2026-12-31（含补报期）", None


def _year_rules_changed(w):
    w.config.min_reviewers = 7
    w.config.save()
    return w.judged, "至少需要 7 位", None


def _criterion_renamed(w):
    w.criteria[0].name = "实际成效"
    w.criteria[0].save()
    return w.judged, "实际成效（", None


PART_CASES = [
    _title_edited,
    _target_added,
    _milestone_moved,
    _progress_filed,
    _progress_filed_with_evidence,
    _evidence_added,
    _task_added,
    _task_created,
    _assignee_added,
    _assignee_removed,
    _assignee_removed_from_the_member,
    _task_progress_updated,
    _supervision_added,
    _event_added,
    _review_added,
    _mark_added,
    _scored,
    _task_deleted,
    _deleted(Target, "target", "办理时限压缩率"),
    _deleted(Milestone, "milestone", "完成窗口改造"),
    _deleted(MilestoneProgress, "report", "完成一半的改造"),
    _deleted(Evidence, "evidence", "现场照片.png"),
    _deleted(Supervision, "supervision", "请加快推进窗口改造。"),
    _deleted(ProjectEvent, "event", "专项检查"),
    _deleted(AcceptanceReview, "review", "材料翔实"),
    _deleted(AcceptanceMark, "mark", "33.25"),
]
SHARED_CASES = [
    _assignee_cleared_from_the_member,
    _tasks_updated_in_bulk,
    _branch_renamed,
    _organ_renamed,
    _responsible_renamed,
    _assignee_renamed,
    _actor_renamed,
    _topic_retitled,
    _filing_reopened,
    _year_rules_changed,
    _criterion_renamed,
]


def _check_change(world, change) -> Project:
    before = cache_all(world)
    project, shown, gone = change(world)
    after, n = visit(world.client, project)
    assert n > world.fixed
    if shown is not None:
        assert shown not in before[project.pk] and shown in after
    if gone is not None:
        assert gone in before[project.pk] and gone not in after
    return project


@pytest.mark.parametrize("change", PART_CASES, ids=lambda f: f.__name__.strip("_"))
def test_a_change_to_one_projects_rows_shows_at_once_and_keeps_the_other_pages(world, change):
    project = _check_change(world, change)
    for other in (world.draft, world.running, world.judged):
        if other.pk != project.pk:
            assert visit(world.client, other)[1] == world.fixed, f"{other.title} was computed again"


@pytest.mark.parametrize("change", SHARED_CASES, ids=lambda f: f.__name__.strip("_"))
def test_a_change_to_shared_rows_shows_at_once(world, change):
    _check_change(world, change)


def test_the_declared_dependencies_are_the_ones_the_cases_cover():
    """A model added to (or dropped from) projects.apps fails here until the cases above follow it."""
    shared = {model for model, topics in figure_cache.watched().items() if PAGE_TOPIC in topics}
    parts = {
        model for model, watchers in figure_cache._part_watchers.items() if any(t == PAGE_TOPIC for t, _ in watchers)
    }
    assert shared == {Branch, Organ, Member, Topic, TopicList, ProjectYearConfig, RubricCriterion, get_user_model()}
    assert parts == {
        Project, Target, Milestone, Task, Supervision, ProjectEvent, AcceptanceReview, Evidence, MilestoneProgress,
        AcceptanceMark,
    }  # fmt: skip


# --- what does not replace a token -----------------------------------------------------------------


def test_a_log_in_keeps_the_page_but_a_new_name_does_not(branch_a, gongwei_staff):
    project = ProjectFactory(branch=branch_a, filed=True)
    ProjectEvent.objects.create(project=project, actor=gongwei_staff, action="专项检查")
    first = logged_in(gongwei_staff)
    fixed = fixed_queries(first)
    kept(first, project, fixed)
    type(gongwei_staff).objects.filter(pk=gongwei_staff.pk).update(last_login=None)  # no signal, no token

    # A real log-in (the form, as a person does) writes last_login, which no page shows.
    second = Client()
    response = second.post(reverse("accounts:login"), {"username": gongwei_staff.username, "password": PASSWORD})
    assert response.status_code == 302
    gongwei_staff.refresh_from_db()
    assert gongwei_staff.last_login is not None
    assert visit(second, project)[1] == fixed
    assert visit(first, project)[1] == fixed

    gongwei_staff.full_name = "工委干部刘七"
    gongwei_staff.save()
    page, n = visit(first, project)
    assert n > fixed and "工委干部刘七" in page


def test_a_change_to_one_project_keeps_another_projects_page(branch_a, branch_b, gongwei_staff):
    mine = ProjectFactory(branch=branch_a, filed=True)
    other = ProjectFactory(branch=branch_b, filed=True, title="预算绩效管理")
    client = logged_in(gongwei_staff)
    fixed = fixed_queries(client)
    kept(client, mine, fixed)
    kept(client, other, fixed)

    MilestoneFactory(project=mine, title="建立台账")
    TaskFactory(project=mine, title="梳理流程")

    page, n = visit(client, mine)
    assert n > fixed and "建立台账" in page and "梳理流程" in page
    page, n = visit(client, other)
    assert n == fixed and "预算绩效管理" in page


# --- each viewer their own page ----------------------------------------------------------------------


def test_each_viewer_gets_their_own_page(branch_a, gongwei_staff, organ_staff_a, secretary_of_branch_a, member_user):
    project = ProjectFactory(branch=branch_a, approved=True)
    milestone = MilestoneFactory(project=project, title="完成窗口改造")
    TaskFactory(project=project, title="制作办事指南", assignees=[member_user.member])
    file_url = reverse("projects:project_file", args=[project.pk])
    progress_url = reverse("projects:milestone_progress", args=[milestone.pk])
    supervise_url = reverse("projects:supervision_create", args=[project.pk])
    # What the code grants each role on an approved project (projects.views_workflow, views_progress).
    expected = {
        "gongwei": {file_url: True, progress_url: True, supervise_url: True, "我的</span>": False},
        "organ": {file_url: False, progress_url: True, supervise_url: True, "我的</span>": False},
        "secretary": {file_url: False, progress_url: True, supervise_url: False, "我的</span>": False},
        "member": {file_url: False, progress_url: False, supervise_url: False, "我的</span>": True},
    }
    users = {
        "gongwei": gongwei_staff,
        "organ": organ_staff_a,
        "secretary": secretary_of_branch_a,
        "member": member_user,
    }
    clients = {name: logged_in(user) for name, user in users.items()}
    fixed = {name: fixed_queries(client) for name, client in clients.items()}

    # Each in turn, twice round: the first round computes, the second reads each viewer's own entry.
    for round_ in range(2):
        for name, client in clients.items():
            page, n = visit(client, project)
            assert (n == fixed[name]) == (round_ == 1), name
            shown = {marker: marker in page for marker in expected[name]}
            assert shown == expected[name], name


def test_the_reviewer_of_a_submitted_project_sees_the_review_form_and_the_branch_does_not(
    branch_a, organ_staff_a, secretary_of_branch_a
):
    project = ProjectFactory(branch=branch_a, submitted=True)
    approve_url = reverse("projects:project_approve", args=[project.pk])
    reviewer, secretary = logged_in(organ_staff_a), logged_in(secretary_of_branch_a)
    fixed = fixed_queries(secretary)

    assert 'id="review-title">机关党委审核' in kept(reviewer, project, fixed_queries(reviewer))
    page = visit(secretary, project)[0]
    assert approve_url not in page and 'id="review-title"' not in page
    assert visit(secretary, project)[1] == fixed
    assert approve_url in visit(reviewer, project)[0]


@pytest.mark.parametrize("persona", ["organ_staff_b", "secretary_of_branch_b", "outsider", "member_user"])
def test_someone_outside_the_scope_gets_404_after_others_kept_the_page(
    request, branch_a, gongwei_staff, organ_staff_a, persona
):
    project = ProjectFactory(branch=branch_a, filed=True)
    for user in (gongwei_staff, organ_staff_a):
        client = logged_in(user)
        kept(client, project, fixed_queries(client))

    stranger = logged_in(request.getfixturevalue(persona))
    assert stranger.get(project.get_absolute_url()).status_code == 404
    assert stranger.get(project.get_absolute_url()).status_code == 404


def test_a_member_removed_from_their_task_loses_the_page(branch_a, member_user):
    project = ProjectFactory(branch=branch_a, filed=True)
    task = TaskFactory(project=project, assignees=[member_user.member])
    client = logged_in(member_user)
    kept(client, project, fixed_queries(client))

    task.assignees.remove(member_user.member)
    assert client.get(project.get_absolute_url()).status_code == 404


def test_a_viewer_whose_roles_change_sees_the_page_of_the_new_role(
    branch_a, organ_a, organ_staff_b, secretary_of_branch_a
):
    project = ProjectFactory(branch=branch_a, submitted=True)
    approve_url = reverse("projects:project_approve", args=[project.pk])
    stranger, secretary = logged_in(organ_staff_b), logged_in(secretary_of_branch_a)
    fixed = fixed_queries(secretary)
    assert stranger.get(project.get_absolute_url()).status_code == 404
    assert approve_url not in kept(secretary, project, fixed)

    # The scope is part of the key: the page follows the roles at once.
    granted = [grant(user, Role.ORGAN, organ=organ_a) for user in (organ_staff_b, secretary_of_branch_a)]
    assert approve_url in visit(stranger, project)[0]
    assert approve_url in visit(secretary, project)[0]

    RoleAssignment.objects.filter(pk__in=[g.pk for g in granted]).delete()
    assert stranger.get(project.get_absolute_url()).status_code == 404
    assert approve_url not in visit(secretary, project)[0]


def test_a_gongwei_account_given_a_branch_role_gets_that_branchs_forms_at_once(branch_a, gongwei_staff):
    """Every 工委 account reaches the same branches (one `scope.cache_key`), but a 工委 account that also sits on a
    branch committee answers that branch's 督办: the page key names the whole scope."""
    project = ProjectFactory(branch=branch_a, filed=True)
    duban = SupervisionFactory(project=project, kind=SupervisionKind.DUBAN, answer_due_on=datetime.date(2026, 12, 1))
    answer_url = reverse("projects:duban_answer", args=[duban.pk])
    client = logged_in(gongwei_staff)
    assert answer_url not in kept(client, project, fixed_queries(client))

    grant(gongwei_staff, Role.BRANCH, branch=branch_a)

    assert answer_url in visit(client, project)[0]


def test_text_that_looks_like_the_csrf_slot_is_shown_as_typed(branch_a, secretary_of_branch_a):
    """The slot is drawn afresh for each rendering: a title cannot be made to print the viewer's token."""
    project = ProjectFactory(branch=branch_a, title=f"{CSRF_SLOT_PREFIX}0123456789abcdef")
    client = logged_in(secretary_of_branch_a)
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    assert f'<h1 class="h4 mb-1">{CSRF_SLOT_PREFIX}0123456789abcdef' in response.content.decode()


def test_two_reviewers_of_one_organ_each_see_only_their_own_marks(branch_a, organ_a, organ_staff_a):
    """Same scope, so the same `scope.cache_key`: only the account in the key keeps their pages apart."""
    colleague = UserFactory(full_name="发改委机关党委干部二")
    grant(colleague, Role.ORGAN, organ=organ_a)
    project = ProjectFactory(branch=branch_a, acceptance_requested=True)
    criteria = list(config_for_year(2026).criteria.all())
    first, second = logged_in(organ_staff_a), logged_in(colleague)
    fixed = fixed_queries(first)
    assert "您尚未评分" in kept(first, project, fixed)

    acceptance.score_project(
        project, reviewer=colleague, marks={c.pk: Decimal("11.50") for c in criteria}, comment="同事的意见"
    )
    assert "同事的意见" in visit(second, project)[0]  # kept for the colleague now
    page, n = visit(first, project)
    assert n > fixed  # the new review replaced the project's token
    assert "同事的意见" not in page and "11.50" not in page and "您尚未评分" in page
    assert visit(first, project)[1] == fixed and "修改我的评分" in visit(second, project)[0]


# --- CSRF: a kept page carries the requester's own token ---------------------------------------------


def form_token(page: str, action: str) -> str:
    """The CSRF token in the page's form posting to `action` (base.html's log-out form has one of its own)."""
    found = re.search(
        rf'action="{re.escape(action)}"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', page
    )
    assert found, f"no form posting to {action}"
    return found.group(1)


def test_a_kept_page_carries_the_requesters_own_csrf_token(branch_a, gongwei_staff, organ_staff_a):
    project = ProjectFactory(branch=branch_a, submitted=True)
    other = ProjectFactory(branch=branch_a, submitted=True)
    approve_url = reverse("projects:project_approve", args=[project.pk])
    gongwei = logged_in(gongwei_staff, enforce_csrf_checks=True)
    staff = logged_in(organ_staff_a, enforce_csrf_checks=True)
    staff_again = logged_in(organ_staff_a, enforce_csrf_checks=True)  # a second session of the same account
    gongwei_token = form_token(kept(gongwei, project, fixed_queries(gongwei)), approve_url)
    staff_token = form_token(kept(staff, project, fixed_queries(staff)), approve_url)
    page, n = visit(staff_again, project)
    assert n == fixed_queries(staff_again)  # the same account's kept page...
    again_token = form_token(page, approve_url)  # ...with this session's token

    # Another session's token is refused: the kept page must not carry whoever computed it first.
    assert staff.post(approve_url, {"csrfmiddlewaretoken": gongwei_token}).status_code == 403
    assert staff.post(approve_url, {"csrfmiddlewaretoken": again_token}).status_code == 403
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.SUBMITTED

    response = staff_again.post(approve_url, {"csrfmiddlewaretoken": again_token, "note": "同意"})
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.APPROVED
    other_url = reverse("projects:project_approve", args=[other.pk])
    assert staff.post(other_url, {"csrfmiddlewaretoken": staff_token}).status_code == 302
    assert Project.objects.get(pk=other.pk).status == ProjectStatus.APPROVED

    page = visit(staff, project)[0]
    assert APPROVED_EVENT in page and approve_url not in page


# --- a failing cache, and a new day -----------------------------------------------------------------


@pytest.fixture
def dead_cache(settings):
    """Redis down: a closed port, through the portal's tolerant backend (tests/test_faults.py)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "partybuild.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_with_redis_down_every_visit_renders_the_current_page(dead_cache, branch_a, organ_staff_a):
    project = ProjectFactory(branch=branch_a, submitted=True, title="窗口服务提速")
    client = logged_in(organ_staff_a, enforce_csrf_checks=True)
    fixed = fixed_queries(client)
    for _ in range(2):
        page, n = visit(client, project)
        assert n > fixed and "窗口服务提速" in page

    TargetFactory(project=project, name="窗口一次办结率")
    page, n = visit(client, project)
    assert n > fixed and "窗口一次办结率" in page
    url = reverse("projects:project_approve", args=[project.pk])
    assert client.post(url, {"csrfmiddlewaretoken": form_token(page, url)}).status_code == 302
    assert APPROVED_EVENT in visit(client, project)[0]


@pytest.mark.parametrize("get_fails", [True, False], ids=["every-read-misses", "get-many-misses"])
def test_a_cache_that_loses_reads_and_adds_never_serves_a_stale_page(monkeypatch, branch_a, gongwei_staff, get_fails):
    project = ProjectFactory(branch=branch_a, filed=True, title="窗口服务提速")
    client = logged_in(gongwei_staff)
    fixed = fixed_queries(client)
    kept(client, project, fixed)
    backend = caches["default"]  # the object behind figures' `cache` proxy for this test's settings
    monkeypatch.setattr(backend, "get_many", lambda *args, **kwargs: {})
    monkeypatch.setattr(backend, "add", lambda *args, **kwargs: False)
    if get_fails:
        monkeypatch.setattr(backend, "get", lambda key, default=None, version=None: default)

    page, n = visit(client, project)
    assert "窗口服务提速" in page
    # Without tokens nothing is reused; tokens still read one by one lead to the page kept under them.
    assert (n > fixed) == get_fails
    for title in ("节点一", "节点二"):
        MilestoneFactory(project=project, title=title)
        page, n = visit(client, project)
        assert n > fixed and title in page


def test_a_change_saved_while_the_cache_refused_writes_shows_once_it_answers_again(
    monkeypatch, branch_a, gongwei_staff
):
    """The token replacement of a write during an outage is lost to the cache, not to the process: it is sent
    again before the next read, so the page kept before the outage is not served after it."""
    project = ProjectFactory(branch=branch_a, filed=True, title="窗口服务提速")
    client = logged_in(gongwei_staff)
    fixed = fixed_queries(client)
    kept(client, project, fixed)
    backend = caches["default"]
    with monkeypatch.context() as outage:
        # What partybuild.cache.TolerantRedisCache answers while Redis fails: every key refused.
        outage.setattr(backend, "set_many", lambda data, *args, **kwargs: list(data))
        project.title = "窗口服务再提速"
        project.save()

    page, n = visit(client, project)
    assert n > fixed and "窗口服务再提速" in page
    assert visit(client, project)[1] == fixed  # kept again under the replaced token


def test_the_next_day_the_page_is_computed_again(time_machine, branch_a, secretary_of_branch_a):
    # Five minutes to midnight: the kept page (figures.PAGE_TIMEOUT) has not expired when the day turns.
    time_machine.move_to(datetime.datetime(2026, 11, 22, 15, 55, tzinfo=datetime.UTC), tick=False)
    project = ProjectFactory(branch=branch_a, filed=True)
    MilestoneFactory(project=project, title="完成窗口改造", planned_on=datetime.date(2026, 11, 22))
    client = logged_in(secretary_of_branch_a)
    fixed = fixed_queries(client)
    page = kept(client, project, fixed)
    assert "逾期" not in page  # due today, not yet late

    time_machine.move_to(datetime.datetime(2026, 11, 22, 16, 1, tzinfo=datetime.UTC), tick=False)  # 00:01 in Beijing
    page, n = visit(client, project)
    assert n > fixed and "逾期 1 天" in page
