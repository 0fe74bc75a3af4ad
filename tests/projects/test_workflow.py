"""支部立项 → 机关党委审核 → 工委备案, through the pages, by the right roles and no others."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from projects.choices import Direction, ProjectStatus
from projects.models import Milestone, Project, ProjectEvent, Target
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    Role,
    UserFactory,
    grant,
)
from tests.projects.factories import (
    AcceptanceReviewFactory,
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

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


@pytest.fixture
def open_window(organ_a, gongwei_staff):
    """organ_a's topic list for 2026, open for filing on TODAY."""
    return TopicListFactory(
        organ=organ_a,
        opens_on=datetime.date(2026, 11, 1),
        closes_on=datetime.date(2026, 11, 30),
        created_by=gongwei_staff,
    )


@pytest.fixture
def topic(open_window):
    return TopicFactory(topic_list=open_window, title="优化审批流程", direction=Direction.BUSINESS_ENV)


@pytest.fixture
def committee_member(branch_a):
    return MemberFactory(branch=branch_a, name="王组织")


def form_data(branch, responsible, *, topic=None, targets=(("办结时限压缩", "%", "30"),), milestones=None, **extra):
    """What the 填报 form posts: the project fields and both formsets."""
    milestones = (
        milestones if milestones is not None else (("调研摸底", "2026-12-10", "1"), ("全面推行", "2026-12-28", "3"))
    )
    data = {
        "branch": branch.pk,
        "year": "2026",
        "title": "“一网通办”提速项目",
        "topic": topic.pk if topic else "",
        "direction": "" if topic else Direction.DEVELOPMENT,
        "problem": "群众办事跑腿多。",
        "goals": "办结时限压缩三成。",
        "start_on": "2026-11-25",
        "end_on": "2026-12-31",
        "responsible": responsible.pk,
        "targets-TOTAL_FORMS": str(len(targets)),
        "targets-INITIAL_FORMS": "0",
        "milestones-TOTAL_FORMS": str(len(milestones)),
        "milestones-INITIAL_FORMS": "0",
    }
    for i, (name, unit, value) in enumerate(targets):
        data.update({f"targets-{i}-name": name, f"targets-{i}-unit": unit, f"targets-{i}-target_value": value})
    for i, (title, planned, weight) in enumerate(milestones):
        data.update(
            {f"milestones-{i}-title": title, f"milestones-{i}-planned_on": planned, f"milestones-{i}-weight": weight}
        )
    data.update(extra)
    return data


def ready_project(branch, **kwargs) -> Project:
    """A draft that can be submitted: one target and one milestone in the period."""
    project = ProjectFactory(branch=branch, start_on=datetime.date(2026, 11, 1), **kwargs)
    TargetFactory(project=project)
    MilestoneFactory(project=project, planned_on=datetime.date(2026, 12, 15))
    return project


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the whole path --------------------------------------------------------------------


def test_full_path_from_draft_to_filed_by_the_right_roles(
    client_for, branch_a, secretary_of_branch_a, organ_staff_a, gongwei_staff, topic, committee_member
):
    # Given a secretary filing the branch's project on a topic of the organ's published list
    client = client_for(secretary_of_branch_a)
    response = client.post(reverse("projects:project_create"), form_data(branch_a, committee_member, topic=topic))
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert project.status == ProjectStatus.DRAFT
    assert project.direction == Direction.BUSINESS_ENV  # taken from the topic
    assert project.created_by == secretary_of_branch_a
    assert list(project.targets.values_list("name", flat=True)) == ["办结时限压缩"]
    assert [m.weight for m in project.milestones.order_by("planned_on")] == [1, 3]
    assert project.history.first().history_user == secretary_of_branch_a

    # When they submit it, the organ's staff are told
    client.post(reverse("projects:project_submit", args=[project.pk]))
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED and project.submitted_at is not None
    assert Notification.objects.filter(recipient=organ_staff_a, url=project.get_absolute_url()).count() == 1

    # And the organ returns it with a reason that the secretary is told and sees
    client = client_for(organ_staff_a)
    client.post(reverse("projects:project_return", args=[project.pk]), {"reason": "指标不够具体，请量化。"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.RETURNED
    assert project.return_reason == "指标不够具体，请量化。"
    returned = Notification.objects.get(recipient=secretary_of_branch_a, title__contains="退回")
    assert "指标不够具体，请量化。" in returned.body
    page = client_for(secretary_of_branch_a).get(project.get_absolute_url())
    assert "指标不够具体，请量化。" in page.content.decode()

    # Then the secretary corrects and resubmits, the organ approves and the 工委 files it
    client = client_for(secretary_of_branch_a)
    edit = form_data(
        branch_a,
        committee_member,
        topic=topic,
        **{
            "targets-TOTAL_FORMS": "2",
            "targets-1-name": "群众满意率",
            "targets-1-unit": "%",
            "targets-1-target_value": "95",
        },
    )
    edit.update(_existing_rows(project))
    response = client.post(reverse("projects:project_edit", args=[project.pk]), edit)
    assert response.status_code == 302, response.content.decode()
    assert project.targets.count() == 2
    client.post(reverse("projects:project_submit", args=[project.pk]))
    client_for(organ_staff_a).post(reverse("projects:project_approve", args=[project.pk]), {"note": "同意立项"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED
    assert Notification.objects.filter(recipient=gongwei_staff, title__contains="审核").exists()
    client_for(gongwei_staff).post(reverse("projects:project_file", args=[project.pk]))
    project.refresh_from_db()
    assert project.status == ProjectStatus.FILED and project.filed_at is not None
    assert Notification.objects.filter(recipient=secretary_of_branch_a, title__contains="备案").exists()

    # The trail records every step with who and why
    trail = list(project.events.values_list("action", "actor__username", "reason"))
    assert trail == [
        ("创建项目", "shuji_a", ""),
        ("提交审核", "shuji_a", ""),
        ("退回修改", "jiguan_a", "指标不够具体，请量化。"),
        ("提交审核", "shuji_a", ""),
        ("审核通过", "jiguan_a", "同意立项"),
        ("工委备案", "gongwei", ""),
    ]


def _existing_rows(project) -> dict:
    """Formset fields for the rows already stored, in the order the formset shows them."""
    data = {}
    targets = list(project.targets.order_by("pk"))
    milestones = list(project.milestones.order_by("pk"))
    data["targets-INITIAL_FORMS"] = str(len(targets))
    data["milestones-INITIAL_FORMS"] = str(len(milestones))
    for i, t in enumerate(targets):
        data.update({f"targets-{i}-id": t.pk, f"targets-{i}-name": t.name, f"targets-{i}-target_value": t.target_value})
    for i, m in enumerate(milestones):
        data.update(
            {
                f"milestones-{i}-id": m.pk,
                f"milestones-{i}-title": m.title,
                f"milestones-{i}-planned_on": m.planned_on.isoformat(),
                f"milestones-{i}-weight": m.weight,
            }
        )
    return data


def test_submission_is_emailed_to_the_organ_once_committed(
    client_for,
    branch_a,
    secretary_of_branch_a,
    organ_staff_a,
    open_window,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    organ_staff_a.email = "jiguan@example.gov.cn"
    organ_staff_a.save()
    project = ready_project(branch_a)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(secretary_of_branch_a).post(reverse("projects:project_submit", args=[project.pk]))
    assert [m.to for m in mailoutbox] == [["jiguan@example.gov.cn"]]
    assert project.title in mailoutbox[0].subject


def test_no_one_is_notified_of_their_own_step(client_for, branch_a, organ_a, open_window):
    # Given an organ staff member who also sits on the branch committee
    both = UserFactory()
    grant(both, Role.ORGAN, organ=organ_a)
    grant(both, Role.BRANCH, branch=branch_a)
    project = ready_project(branch_a)
    # When they submit the project
    client_for(both).post(reverse("projects:project_submit", args=[project.pk]))
    # Then the project moved and they got no message about it
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED
    assert not Notification.objects.filter(recipient=both).exists()


# --- the form --------------------------------------------------------------------------


def test_self_proposed_project_needs_a_direction(client_for, branch_a, secretary_of_branch_a, committee_member):
    data = form_data(branch_a, committee_member, direction="")
    response = client_for(secretary_of_branch_a).post(reverse("projects:project_create"), data)
    assert response.status_code == 200
    assert "自拟题目请选择项目方向。" in response.content.decode()
    assert not Project.objects.exists()


def test_topic_of_another_organ_cannot_be_chosen(
    client_for, branch_a, secretary_of_branch_a, committee_member, organ_b
):
    foreign = TopicFactory(topic_list=TopicListFactory(organ=organ_b))
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:project_create"), form_data(branch_a, committee_member, topic=foreign)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["topic"]
    assert not Project.objects.exists()


def test_unpublished_topic_is_not_offered(client_for, branch_a, secretary_of_branch_a, organ_a, committee_member):
    draft = TopicFactory(topic_list=TopicListFactory(organ=organ_a, draft=True))
    response = client_for(secretary_of_branch_a).get(reverse("projects:project_create"))
    assert draft not in response.context["form"].fields["topic"].queryset


def test_citywide_topic_can_be_chosen(client_for, branch_a, secretary_of_branch_a, committee_member, gongwei_staff):
    citywide = TopicFactory(topic_list=TopicListFactory(citywide=True, created_by=gongwei_staff))
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:project_create"), form_data(branch_a, committee_member, topic=citywide)
    )
    assert response.status_code == 302
    assert Project.objects.get().topic == citywide


def test_responsible_must_sit_on_the_current_committee(client_for, branch_a, secretary_of_branch_a):
    # Given a branch with an elected committee
    term = CommitteeTermFactory(branch=branch_a)
    seated = CommitteeMemberFactory(term=term, post="secretary").member
    plain = MemberFactory(branch=branch_a, name="普通成员")
    client = client_for(secretary_of_branch_a)
    # Then only the committee is offered, with the post
    field = client.get(reverse("projects:project_create")).context["form"].fields["responsible"]
    assert list(field.queryset) == [seated]
    assert "（书记）" in field.label_from_instance(field.queryset.get())
    # And posting a plain member is refused
    response = client.post(reverse("projects:project_create"), form_data(branch_a, plain))
    assert response.context["form"].errors["responsible"]
    assert not Project.objects.exists()


def test_milestone_outside_the_period_is_refused_and_nothing_saved(
    client_for, branch_a, secretary_of_branch_a, committee_member
):
    data = form_data(branch_a, committee_member, milestones=(("提前完成", "2026-01-05", "1"),))
    response = client_for(secretary_of_branch_a).post(reverse("projects:project_create"), data)
    assert response.status_code == 200
    assert "应在项目实施期" in response.content.decode()
    assert not Project.objects.exists() and not Milestone.objects.exists()


def test_blank_rows_are_ignored(client_for, branch_a, secretary_of_branch_a, committee_member):
    data = form_data(
        branch_a,
        committee_member,
        targets=(("办结时限压缩", "%", "30"), ("", "", "")),
        milestones=(("调研摸底", "2026-12-10", "1"), ("", "", "1")),  # the browser posts the default weight
    )
    response = client_for(secretary_of_branch_a).post(reverse("projects:project_create"), data)
    assert response.status_code == 302
    assert Target.objects.count() == 1 and Milestone.objects.count() == 1


def test_branch_outside_scope_cannot_be_chosen(client_for, branch_b, secretary_of_branch_a):
    other = MemberFactory(branch=branch_b)
    response = client_for(secretary_of_branch_a).post(reverse("projects:project_create"), form_data(branch_b, other))
    assert response.context["form"].errors["branch"]
    assert not Project.objects.exists()


def test_accounts_without_a_branch_to_file_for_are_refused(client_for, member_user, outsider):
    assert client_for(member_user).get(reverse("projects:project_create")).status_code == 403
    assert client_for(outsider).get(reverse("projects:project_create")).status_code == 403


def test_edit_removes_a_row_with_history(client_for, branch_a, secretary_of_branch_a):
    project = ready_project(branch_a)
    extra = TargetFactory(project=project, name="多余指标")
    data = form_data(branch_a, project.responsible, targets=(), milestones=())
    data.update(_existing_rows(project))
    data["targets-TOTAL_FORMS"] = data["targets-INITIAL_FORMS"]
    data["milestones-TOTAL_FORMS"] = data["milestones-INITIAL_FORMS"]
    index = [t.pk for t in project.targets.order_by("pk")].index(extra.pk)
    data[f"targets-{index}-DELETE"] = "on"
    response = client_for(secretary_of_branch_a).post(reverse("projects:project_edit", args=[project.pk]), data)
    assert response.status_code == 302
    assert not Target.objects.filter(pk=extra.pk).exists()
    assert Target.history.filter(id=extra.pk, history_type="-").get().history_user == secretary_of_branch_a


# --- refusals: wrong role --------------------------------------------------------------


def test_other_branches_and_strangers_do_not_see_the_project(
    client_for, branch_a, secretary_of_branch_b, organ_staff_b, outsider
):
    project = ready_project(branch_a)
    url = reverse("projects:project_detail", args=[project.pk])
    for user in (secretary_of_branch_b, organ_staff_b, outsider):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(reverse("projects:project_submit", args=[project.pk])).status_code == 404


def test_member_with_a_task_sees_the_project_but_cannot_change_it(client_for, branch_a, member_user, open_window):
    project = ready_project(branch_a)
    TaskFactory(project=project, assignees=[member_user.member])
    client = client_for(member_user)
    assert client.get(project.get_absolute_url()).status_code == 200
    assert client.get(reverse("projects:project_edit", args=[project.pk])).status_code == 403
    assert client.post(reverse("projects:project_submit", args=[project.pk])).status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


def test_secretary_cannot_approve_return_or_file(client_for, branch_a, secretary_of_branch_a):
    project = ready_project(branch_a, submitted=True)
    client = client_for(secretary_of_branch_a)
    assert client.post(reverse("projects:project_approve", args=[project.pk])).status_code == 403
    assert client.post(reverse("projects:project_return", args=[project.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("projects:project_file", args=[project.pk])).status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


def test_other_organ_cannot_review(client_for, branch_a, organ_staff_b):
    project = ready_project(branch_a, submitted=True)
    assert client_for(organ_staff_b).post(reverse("projects:project_approve", args=[project.pk])).status_code == 404
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


def test_organ_staff_cannot_file_nor_return_at_filing(client_for, branch_a, organ_staff_a):
    project = ready_project(branch_a, approved=True)
    client = client_for(organ_staff_a)
    assert client.post(reverse("projects:project_file", args=[project.pk])).status_code == 403
    assert client.get(reverse("projects:project_return", args=[project.pk])).status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED


def test_gongwei_returns_at_filing_and_the_organ_is_told(
    client_for, branch_a, gongwei_staff, organ_staff_a, secretary_of_branch_a
):
    project = ready_project(branch_a, approved=True)
    client_for(gongwei_staff).post(reverse("projects:project_return", args=[project.pk]), {"reason": "与往年重复。"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.RETURNED
    assert Notification.objects.filter(recipient=organ_staff_a, body__contains="与往年重复。").exists()
    assert Notification.objects.filter(recipient=secretary_of_branch_a, body__contains="与往年重复。").exists()


# --- refusals: wrong state -------------------------------------------------------------


def test_submit_after_the_window_closed_is_refused_until_reopened(
    client_for, branch_a, secretary_of_branch_a, organ_staff_a, organ_a
):
    # Given a window that closed yesterday
    window = TopicListFactory(organ=organ_a, opens_on=datetime.date(2026, 10, 1), closes_on=datetime.date(2026, 11, 21))
    project = ready_project(branch_a)
    client = client_for(secretary_of_branch_a)
    # When the secretary submits, it is refused with the reason
    response = client.post(reverse("projects:project_submit", args=[project.pk]), follow=True)
    assert any("截止" in m for m in messages_of(response))
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT and not Notification.objects.exists()
    # Then once staff reopen filing (with a reason), the same submit goes through
    client_for(organ_staff_a).post(
        reverse("projects:topic_list_reopen", args=[window.pk]), {"until": "2026-11-30", "reason": "新成立支部补报"}
    )
    client.post(reverse("projects:project_submit", args=[project.pk]))
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


def test_submit_without_targets_is_refused_with_what_is_missing(
    client_for, branch_a, secretary_of_branch_a, open_window
):
    project = ProjectFactory(branch=branch_a)
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:project_submit", args=[project.pk]), follow=True
    )
    assert any("至少填写一项可衡量的指标" in m and "至少安排一个项目节点" in m for m in messages_of(response))
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


@pytest.mark.parametrize(
    ("state", "url_name", "persona"),
    [
        ("approved", "project_submit", "secretary_of_branch_a"),
        ("filed", "project_submit", "secretary_of_branch_a"),
        ("draft", "project_approve", "organ_staff_a"),
        ("filed", "project_approve", "organ_staff_a"),
        ("submitted", "project_file", "gongwei_staff"),
        ("filed", "project_file", "gongwei_staff"),
    ],
)
def test_wrong_state_is_refused_with_a_message(client_for, request, branch_a, open_window, state, url_name, persona):
    traits = {} if state == "draft" else {state: True}
    project = ready_project(branch_a, **traits)
    before = project.status
    n_events = ProjectEvent.objects.count()
    response = client_for(request.getfixturevalue(persona)).post(
        reverse(f"projects:{url_name}", args=[project.pk]), follow=True
    )
    assert response.status_code == 200
    assert any("当前状态" in m for m in messages_of(response))
    project.refresh_from_db()
    assert project.status == before and ProjectEvent.objects.count() == n_events


def test_return_needs_a_reason(client_for, branch_a, organ_staff_a):
    project = ready_project(branch_a, submitted=True)
    response = client_for(organ_staff_a).post(reverse("projects:project_return", args=[project.pk]), {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


def test_return_of_a_filed_project_is_refused(client_for, branch_a, gongwei_staff):
    project = ready_project(branch_a, filed=True)
    response = client_for(gongwei_staff).post(
        reverse("projects:project_return", args=[project.pk]), {"reason": "重新修改"}, follow=True
    )
    assert any("当前状态" in m for m in messages_of(response))
    project.refresh_from_db()
    assert project.status == ProjectStatus.FILED


def test_submitted_project_cannot_be_edited(client_for, branch_a, secretary_of_branch_a):
    project = ready_project(branch_a, submitted=True)
    client = client_for(secretary_of_branch_a)
    data = form_data(branch_a, project.responsible, title="偷改的标题")
    data.update(_existing_rows(project))
    response = client.post(reverse("projects:project_edit", args=[project.pk]), data, follow=True)
    assert any("不能再修改" in m for m in messages_of(response))
    project.refresh_from_db()
    assert project.title != "偷改的标题"


# --- the project page ------------------------------------------------------------------


def test_page_shows_each_role_its_buttons(client_for, branch_a, secretary_of_branch_a, organ_staff_a, gongwei_staff):
    submitted = ready_project(branch_a, submitted=True)
    approve = reverse("projects:project_approve", args=[submitted.pk])
    assert approve in client_for(organ_staff_a).get(submitted.get_absolute_url()).content.decode()
    assert approve not in client_for(secretary_of_branch_a).get(submitted.get_absolute_url()).content.decode()
    approved = ready_project(branch_a, approved=True)
    file_url = reverse("projects:project_file", args=[approved.pk])
    assert file_url in client_for(gongwei_staff).get(approved.get_absolute_url()).content.decode()
    assert file_url not in client_for(organ_staff_a).get(approved.get_absolute_url()).content.decode()
    draft = ready_project(branch_a)
    page = client_for(secretary_of_branch_a).get(draft.get_absolute_url()).content.decode()
    assert reverse("projects:project_submit", args=[draft.pk]) in page
    assert reverse("projects:project_edit", args=[draft.pk]) in page


def populate(project, n: int) -> None:
    for i in range(n):
        TargetFactory(project=project)
        milestone = MilestoneFactory(project=project, planned_on=datetime.date(2026, 6, 1 + i), weight=i + 1)
        MilestoneProgressFactory(milestone=milestone, percent=40)
        TaskFactory(project=project, assignees=[MemberFactory(branch=project.branch)])
        SupervisionFactory(project=project, milestone=milestone)
        ProjectEvent.objects.create(project=project, actor=project.created_by, action="审核通过")
        AcceptanceReviewFactory(project=project, reviewer=UserFactory())


@pytest.mark.parametrize("persona", ["gongwei_staff", "secretary_of_branch_a", "organ_staff_a"])
@pytest.mark.parametrize("state", ["filed", "acceptance_requested", "accepted"])
def test_project_page_queries_do_not_grow_with_rows(client_for, request, branch_a, persona, state):
    client = client_for(request.getfixturevalue(persona))
    small = ProjectFactory(branch=branch_a, **{state: True})
    populate(small, 1)
    large = ProjectFactory(branch=branch_a, **{state: True})
    populate(large, 8)
    # The first visit creates the year's acceptance rules; count the visits after it.
    client.get(small.get_absolute_url())
    counts = []
    for project in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(project.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- 节点改期 --------------------------------------------------------------------------


def test_reschedule_after_approval_needs_a_reason_and_is_kept(client_for, branch_a, secretary_of_branch_a):
    project = ready_project(branch_a, filed=True)
    milestone = project.milestones.get()
    url = reverse("projects:milestone_reschedule", args=[milestone.pk])
    client = client_for(secretary_of_branch_a)
    assert url in client.get(project.get_absolute_url()).content.decode()
    response = client.post(url, {"planned_on": "2026-12-20", "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    milestone.refresh_from_db()
    assert milestone.planned_on == datetime.date(2026, 12, 15)
    response = client.post(url, {"planned_on": "2026-12-20", "reason": "等待上级政策出台"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.planned_on == datetime.date(2026, 12, 20)
    record = milestone.history.first()
    assert record.history_user == secretary_of_branch_a
    assert "等待上级政策出台" in record.history_change_reason and "2026-12-15" in record.history_change_reason


def test_reschedule_is_refused_outside_the_period_and_to_others(
    client_for, branch_a, secretary_of_branch_a, organ_staff_b, member_user
):
    project = ready_project(branch_a, filed=True)
    milestone = project.milestones.get()
    TaskFactory(project=project, assignees=[member_user.member])
    url = reverse("projects:milestone_reschedule", args=[milestone.pk])
    data = {"planned_on": "2027-03-01", "reason": "推迟"}
    assert client_for(secretary_of_branch_a).post(url, data).context["form"].errors["planned_on"]
    assert client_for(organ_staff_b).post(url, {**data, "planned_on": "2026-12-20"}).status_code == 404
    assert client_for(member_user).post(url, {**data, "planned_on": "2026-12-20"}).status_code == 403
    milestone.refresh_from_db()
    assert milestone.planned_on == datetime.date(2026, 12, 15)


def test_reschedule_after_acceptance_request_is_refused(client_for, branch_a, secretary_of_branch_a):
    project = ready_project(branch_a, acceptance_requested=True)
    milestone = project.milestones.get()
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:milestone_reschedule", args=[milestone.pk]), {"planned_on": "2026-12-20", "reason": "推迟"}
    )
    assert response.status_code == 409
    assert "不能再调整" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.planned_on == datetime.date(2026, 12, 15)


# --- 待我审核 --------------------------------------------------------------------------


def _queue(client) -> dict[str, list]:
    response = client.get(reverse("projects:review_queue"))
    assert response.status_code == 200
    return {s["key"]: list(s["page"].object_list) for s in response.context["sections"]}


def test_queue_of_organ_staff_holds_their_organs_submitted_projects(client_for, branch_a, branch_b, organ_staff_a):
    mine = ready_project(branch_a, submitted=True)
    ready_project(branch_b, submitted=True)
    ready_project(branch_a, approved=True)
    ready_project(branch_a)
    queue = _queue(client_for(organ_staff_a))
    assert queue["review"] == [mine]
    assert "file" not in queue


def test_queue_of_gongwei_holds_filing_and_scoring(client_for, branch_a, branch_b, gongwei_staff):
    to_file = ready_project(branch_a, approved=True)
    ready_project(branch_a, submitted=True)
    to_score = ready_project(branch_b, acceptance_requested=True)
    scored = ready_project(branch_a, acceptance_requested=True)
    AcceptanceReviewFactory(project=scored, reviewer=gongwei_staff)
    client = client_for(gongwei_staff)
    queue = _queue(client)
    assert queue["file"] == [to_file]
    assert queue["score"] == [to_score]
    assert "review" not in queue  # first-level review is the organs' job
    page = client.get(reverse("projects:review_queue")).content.decode()
    assert f"{to_score.get_absolute_url()}#acceptance" in page


def test_queue_is_for_reviewers_only(client_for, secretary_of_branch_a, member_user, outsider):
    for user in (secretary_of_branch_a, member_user, outsider):
        assert client_for(user).get(reverse("projects:review_queue")).status_code == 403


def test_queue_queries_do_not_grow_with_rows(client_for, gongwei_staff, organ_a):
    client = client_for(gongwei_staff)

    def fill(n):
        for _ in range(n):
            branch = BranchFactory(organ=organ_a)
            for state in ("submitted", "approved", "acceptance_requested"):
                ready_project(branch, **{state: True})

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("projects:review_queue"))
        return len(ctx.captured_queries)

    fill(1)
    small = count()
    fill(6)
    assert count() == small
