"""一支部一项目 through the JSON API: who may reach which endpoint (a table of roles × endpoints),
and how the API answers a refused step (409), bad input (400, field by field), a foreign object
(404), an Excel export, a token, and many rows (a fixed number of queries)."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from projects.choices import Direction, ProjectStatus, SupervisionKind, TaskStatus
from projects.models import Project, Supervision, Task, TopicList
from projects.services import ensure_config
from tests.factories import MemberFactory, Role, UserFactory, grant
from tests.projects.factories import (
    AcceptanceMarkFactory,
    AcceptanceReviewFactory,
    EvidenceFactory,
    MilestoneFactory,
    ProjectFactory,
    SupervisionFactory,
    TargetFactory,
    TaskFactory,
    TopicFactory,
    TopicListFactory,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
ROLES = ("anonymous", "member", "other_secretary", "secretary", "other_organ", "organ", "gongwei")
PERSONAS = {
    "member": "member_user",
    "other_secretary": "secretary_of_branch_b",
    "secretary": "secretary_of_branch_a",
    "other_organ": "organ_staff_b",
    "organ": "organ_staff_a",
    "gongwei": "gongwei_staff",
}


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


class World:
    """Projects of branch_a in every state, with what each workflow step needs."""


@pytest.fixture
def world(branch_a, branch_b, member_user, gongwei_staff):
    w = World()
    # A city-wide list open for filing today; organ_a's own list is still a draft.
    w.window = TopicListFactory(
        organ=None,
        opens_on=datetime.date(2026, 11, 1),
        closes_on=datetime.date(2026, 11, 30),
        created_by=gongwei_staff,
    )
    w.topic = TopicFactory(topic_list=w.window, title="优化审批流程", direction=Direction.BUSINESS_ENV)
    w.draft_list = TopicListFactory(organ=branch_a.organ, draft=True, created_by=gongwei_staff)
    w.draft_topic = TopicFactory(topic_list=w.draft_list)
    w.responsible = MemberFactory(branch=branch_a, name="王组织")

    def project(**kwargs):
        p = ProjectFactory(branch=branch_a, responsible=w.responsible, start_on=datetime.date(2026, 3, 1), **kwargs)
        TargetFactory(project=p, name="办结时限压缩", target_value=Decimal("30"))
        MilestoneFactory(project=p, planned_on=datetime.date(2026, 12, 20))
        return p

    w.draft = project()
    w.submitted = project(submitted=True)
    w.approved = project(approved=True)
    w.filed = project(filed=True)
    w.milestone = w.filed.milestones.get()
    w.member = member_user.member
    w.task = TaskFactory(project=w.filed, assignees=[w.member])
    w.duban = SupervisionFactory(project=w.filed, duban=True, author=gongwei_staff)
    w.evidence = EvidenceFactory(project=w.filed)
    w.requested = project(acceptance_requested=True)
    config = ensure_config(2026)
    config.min_reviewers = 1
    # The filed project is mid-way (its milestone at 0%): a year that accepts it with a reason lets the
    # table below test who may ask, not how far the work got.
    config.min_acceptance_progress = 0
    config.save()
    w.criteria = list(config.criteria.all())
    review = AcceptanceReviewFactory(project=w.requested, total=Decimal("88"))
    for criterion in w.criteria:
        AcceptanceMarkFactory(review=review, criterion=criterion, points=criterion.max_points)
    w.accepted = project(accepted=True)
    w.other_project = ProjectFactory(branch=branch_b, filed=True)
    return w


def project_payload(world, branch, **extra) -> dict:
    return {
        "branch": branch.pk,
        "year": 2026,
        "title": "“一网通办”提速项目",
        "topic": world.topic.pk,
        "problem": "群众办事跑腿多。",
        "goals": "办结时限压缩三成。",
        "start_on": "2026-11-25",
        "end_on": "2026-12-31",
        "responsible": world.responsible.pk,
        "targets": [{"name": "办结时限压缩", "unit": "%", "target_value": "30"}],
        "milestones": [{"title": "调研摸底", "planned_on": "2026-12-10", "weight": 1}],
        **extra,
    }


def row(name, method, url, data=None, **expected):
    """One endpoint: the expected status per role (anonymous is always refused)."""
    return (name, method, url, data, expected)


def every(code: int) -> dict:
    return dict.fromkeys(ROLES[1:], code)


STAFF_ONLY_LIST = {**every(200), "member": 403}
# Branch a's objects: its secretary, its organ's 机关党委 and the 工委 see them; others get 404.
A_SCOPE = {"member": 404, "other_secretary": 404, "secretary": 200, "other_organ": 404, "organ": 200, "gongwei": 200}


def scoped(**override) -> dict:
    return {**A_SCOPE, **override}


ENDPOINTS = [
    # 党委出题
    row("选题列表", "get", lambda w: "/api/topic-lists/", **STAFF_ONLY_LIST),
    row("题目列表", "get", lambda w: "/api/topics/", **STAFF_ONLY_LIST),
    row("未发布选题详情", "get", lambda w: f"/api/topic-lists/{w.draft_list.pk}/", **scoped(secretary=404)),
    row("发布选题", "post", lambda w: f"/api/topic-lists/{w.draft_list.pk}/publish/", **scoped(secretary=404)),
    row(
        "开放补报",
        "post",
        lambda w: f"/api/topic-lists/{w.window.pk}/reopen/",
        {"until": "2026-12-15", "reason": "新成立支部尚未立项"},
        **{**every(403), "member": 404, "gongwei": 200},
    ),
    row(
        "新建选题",
        "post",
        lambda w: "/api/topic-lists/",
        lambda w: {"year": 2027, "organ": w.draft_list.organ_id, "opens_on": "2027-03-01", "closes_on": "2027-04-30"},
        **{**every(403), "other_organ": 400, "organ": 201, "gongwei": 201},
    ),
    row(
        "添加题目",
        "post",
        lambda w: "/api/topics/",
        lambda w: {"topic_list": w.draft_list.pk, "title": "新题目", "direction": Direction.UPGRADE},
        **scoped(secretary=404, organ=201, gongwei=201),
    ),
    row(
        "删除题目",
        "delete",
        lambda w: f"/api/topics/{w.draft_topic.pk}/",
        **scoped(secretary=404, organ=204, gongwei=204),
    ),
    # 支部项目
    row("项目列表", "get", lambda w: "/api/projects/", **every(200)),
    row("项目导出", "get", lambda w: "/api/projects/?format=xlsx", **{**every(200), "member": 403}),
    row("项目详情", "get", lambda w: f"/api/projects/{w.draft.pk}/", **scoped()),
    row(
        "填报项目",
        "post",
        lambda w: "/api/projects/",
        lambda w: project_payload(w, w.draft.branch),
        **{**every(400), "member": 403, "secretary": 201, "organ": 201, "gongwei": 201},
    ),
    row("修改草稿", "patch", lambda w: f"/api/projects/{w.draft.pk}/", {"title": "改名后的项目"}, **scoped()),
    row("提交审核", "post", lambda w: f"/api/projects/{w.draft.pk}/submit/", **scoped()),
    row(
        "审核通过",
        "post",
        lambda w: f"/api/projects/{w.submitted.pk}/approve/",
        {"note": "同意"},
        **scoped(secretary=403),
    ),
    row(
        "审核退回",
        "post",
        lambda w: f"/api/projects/{w.submitted.pk}/return/",
        {"reason": "指标不够具体"},
        **scoped(secretary=403),
    ),
    row("工委备案", "post", lambda w: f"/api/projects/{w.approved.pk}/file/", **scoped(secretary=403, organ=403)),
    row(
        "申请验收",
        "post",
        lambda w: f"/api/projects/{w.filed.pk}/request-acceptance/",
        lambda w: {
            "summary": "目标全部完成。",
            "results": [{"target": t.pk, "actual_value": "35"} for t in w.filed.targets.all()],
            "not_done": [{"milestone": w.milestone.pk, "reason": "按计划年底完成"}],
        },
        **scoped(member=403),
    ),
    row(
        "验收评分",
        "post",
        lambda w: f"/api/projects/{w.requested.pk}/score/",
        lambda w: {"marks": [{"criterion": c.pk, "points": str(c.max_points - 5)} for c in w.criteria]},
        **scoped(secretary=403),
    ),
    row("确认验收", "post", lambda w: f"/api/projects/{w.requested.pk}/accept/", **scoped(secretary=403, organ=403)),
    row(
        "评选十佳",
        "post",
        lambda w: f"/api/projects/{w.accepted.pk}/top-ten/",
        {"on": True},
        **scoped(secretary=403, organ=403),
    ),
    row("验收评分列表", "get", lambda w: "/api/project-reviews/", **every(200)),
    # 节点、进展、佐证材料
    row("节点列表", "get", lambda w: "/api/project-milestones/", **every(200)),
    row("节点详情", "get", lambda w: f"/api/project-milestones/{w.milestone.pk}/", **scoped(member=200)),
    row(
        "填报进展",
        "post",
        lambda w: f"/api/project-milestones/{w.milestone.pk}/progress/",
        lambda w: {"text": "完成一半。", "percent": 50, "files": [SimpleUploadedFile("现场.png", PNG)]},
        **scoped(member=403, secretary=201, organ=201, gongwei=201),
    ),
    row(
        "调整节点日期",
        "post",
        lambda w: f"/api/project-milestones/{w.milestone.pk}/reschedule/",
        {"planned_on": "2026-12-28", "reason": "配合上级部署顺延"},
        **scoped(member=403),
    ),
    row("佐证材料列表", "get", lambda w: "/api/project-evidence/", **every(200)),
    row("下载佐证材料", "get", lambda w: f"/api/project-evidence/{w.evidence.token}/download/", **scoped(member=200)),
    # 任务到人
    row("任务列表", "get", lambda w: "/api/project-tasks/", **every(200)),
    row(
        "分派任务",
        "post",
        lambda w: "/api/project-tasks/",
        lambda w: {"project": w.filed.pk, "title": "梳理事项清单", "assignees": [w.member.pk], "due_on": "2026-12-15"},
        **scoped(member=403, secretary=201, organ=201, gongwei=201),
    ),
    row(
        "修改任务",
        "patch",
        lambda w: f"/api/project-tasks/{w.task.pk}/",
        {"title": "重新命名的任务"},
        **scoped(member=403),
    ),
    row(
        "更新任务进展",
        "post",
        lambda w: f"/api/project-tasks/{w.task.pk}/progress/",
        {"status": TaskStatus.DOING, "progress_note": "已开始"},
        **scoped(member=200),
    ),
    row(
        "删除任务",
        "delete",
        lambda w: f"/api/project-tasks/{w.task.pk}/",
        **scoped(member=403, secretary=204, organ=204, gongwei=204),
    ),
    # 督查督办
    row("督查列表", "get", lambda w: "/api/project-supervisions/", **every(200)),
    row(
        "下发督办",
        "post",
        lambda w: "/api/project-supervisions/",
        lambda w: {"project": w.filed.pk, "kind": SupervisionKind.DUBAN, "text": "请加快进度"},
        **scoped(member=403, secretary=403, organ=201, gongwei=201),
    ),
    row(
        "答复督办",
        "post",
        lambda w: f"/api/project-supervisions/{w.duban.pk}/answer/",
        {"answer": "已整改"},
        **scoped(member=403, organ=403, gongwei=403),
    ),
]


def call(client, method: str, url: str, data=None):
    if method == "get":
        return client.get(url)
    if method == "delete":
        return client.delete(url)
    if data is not None and any(isinstance(v, list) and v and hasattr(v[0], "read") for v in data.values()):
        return client.post(url, data)  # multipart, as an upload is sent
    return getattr(client, method)(url, data or {}, content_type="application/json")


CASES = [
    pytest.param(name, method, url, data, role, expected.get(role), id=f"{name}-{role}")
    for name, method, url, data, expected in ENDPOINTS
    for role in ROLES
]


def test_the_table_covers_every_role_of_every_endpoint():
    for name, *_, expected in ENDPOINTS:
        assert set(expected) == set(ROLES[1:]), name


@pytest.mark.parametrize(("name", "method", "url", "data", "role", "expected"), CASES)
def test_each_role_reaches_each_endpoint_as_on_the_pages(
    request, client, world, name, method, url, data, role, expected
):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(PERSONAS[role]))
    payload = data(world) if callable(data) else data
    response = call(client, method, url(world), payload)
    if role == "anonymous":
        # Not logged in: refused before anything is looked up, with the token challenge.
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == "Token"
        return
    assert response.status_code == expected, (response.status_code, getattr(response, "content", b"")[:300])


# --- behaviour -------------------------------------------------------------------------------


def test_an_illegal_transition_answers_409_with_the_chinese_reason(client_for, world, secretary_of_branch_a):
    response = client_for(secretary_of_branch_a).post(f"/api/projects/{world.filed.pk}/submit/")
    assert response.status_code == 409
    assert "只有草稿或退回修改的项目可以提交" in response.json()["detail"]
    world.filed.refresh_from_db()
    assert world.filed.status == ProjectStatus.FILED


def test_editing_a_project_under_review_is_a_conflict(client_for, world, secretary_of_branch_a):
    response = client_for(secretary_of_branch_a).patch(
        f"/api/projects/{world.submitted.pk}/", {"title": "新名称"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "不能再修改" in response.json()["detail"]


def test_a_refusal_the_user_can_fix_answers_400_with_the_services_message(client_for, world, gongwei_staff):
    response = client_for(gongwei_staff).post(
        f"/api/topic-lists/{world.window.pk}/reopen/",
        {"until": "2026-11-15", "reason": "新成立支部"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": ["补报截止日期应晚于原立项截止日期。"]}
    world.window.refresh_from_db()
    assert world.window.reopened_until is None


def test_a_blank_reason_is_a_field_error(client_for, world, organ_staff_a):
    response = client_for(organ_staff_a).post(
        f"/api/projects/{world.submitted.pk}/return/", {"reason": "   "}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]


def test_wrong_types_answer_400_field_by_field(client_for, world, secretary_of_branch_a, branch_a):
    payload = project_payload(world, branch_a, start_on="下周", targets=[{"unit": "%", "target_value": "很多"}])
    response = client_for(secretary_of_branch_a).post("/api/projects/", payload, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"start_on", "targets"}
    assert set(errors["targets"]["0"]) == {"name", "target_value"}
    assert not Project.objects.filter(title=payload["title"]).exists()


def test_the_pages_rules_answer_400_field_by_field_in_chinese(client_for, world, secretary_of_branch_a, branch_a):
    payload = project_payload(
        world,
        branch_a,
        topic=None,
        end_on="2026-11-01",
        milestones=[{"title": "调研", "planned_on": "2027-02-01"}, {"title": "推行", "planned_on": "2026-12-01"}],
    )
    response = client_for(secretary_of_branch_a).post("/api/projects/", payload, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["direction"] == ["自拟题目请选择项目方向。"]
    assert errors["end_on"] == ["结束日期不能早于开始日期。"]
    assert not Project.objects.filter(title=payload["title"]).exists()


def test_milestone_rows_outside_the_period_are_named_by_their_position(
    client_for, world, secretary_of_branch_a, branch_a
):
    payload = project_payload(
        world,
        branch_a,
        milestones=[{"title": "调研", "planned_on": "2026-12-01"}, {"title": "推行", "planned_on": "2027-02-01"}],
    )
    response = client_for(secretary_of_branch_a).post("/api/projects/", payload, content_type="application/json")
    assert response.status_code == 400
    rows = response.json()["milestones"]
    assert list(rows) == ["1"] and "应在项目实施期" in rows["1"]["planned_on"][0]


def test_a_draft_is_created_with_its_targets_and_milestones_and_edited_as_whole_lists(
    client_for, world, secretary_of_branch_a, branch_a
):
    api = client_for(secretary_of_branch_a)
    created = api.post("/api/projects/", project_payload(world, branch_a), content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == ProjectStatus.DRAFT and body["direction"] == Direction.BUSINESS_ENV
    target_id = body["targets"][0]["id"]
    changed = api.patch(
        f"/api/projects/{body['id']}/",
        {
            "targets": [
                {"id": target_id, "name": "办结时限压缩", "unit": "%", "target_value": "40"},
                {"name": "群众满意度", "unit": "%", "target_value": "95"},
            ],
            "milestones": [{"title": "全面推行", "planned_on": "2026-12-28", "weight": 3}],
        },
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    data = changed.json()
    assert [(t["id"] == target_id, t["target_value"]) for t in data["targets"]] == [(True, "40.00"), (False, "95.00")]
    assert [m["title"] for m in data["milestones"]] == ["全面推行"]
    assert data["title"] == body["title"]


def test_a_target_of_another_project_cannot_be_edited_through_this_one(client_for, world, secretary_of_branch_a):
    foreign = world.filed.targets.get()
    response = client_for(secretary_of_branch_a).patch(
        f"/api/projects/{world.draft.pk}/",
        {"targets": [{"id": foreign.pk, "name": "偷改", "target_value": "1"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    foreign.refresh_from_db()
    assert foreign.name != "偷改"


@pytest.mark.parametrize(
    "url",
    [
        "/api/projects/{filed}/",
        "/api/project-milestones/{milestone}/",
        "/api/project-tasks/{task}/",
        "/api/project-supervisions/{duban}/",
        "/api/project-evidence/{token}/",
    ],
)
def test_objects_of_another_branch_are_not_found(client_for, world, secretary_of_branch_b, url):
    url = url.format(
        filed=world.filed.pk, milestone=world.milestone.pk, task=world.task.pk, duban=world.duban.pk,
        token=world.evidence.token,
    )  # fmt: skip
    assert client_for(secretary_of_branch_b).get(url).status_code == 404


def test_lists_hold_only_what_the_user_may_see(client_for, world, secretary_of_branch_b):
    api = client_for(secretary_of_branch_b)
    projects = api.get("/api/projects/").json()["results"]
    assert [p["id"] for p in projects] == [world.other_project.pk]
    assert api.get("/api/project-tasks/").json()["count"] == 0
    assert api.get("/api/project-evidence/").json()["count"] == 0


def test_a_member_sees_only_the_projects_they_have_a_task_in(client_for, world, member_user):
    api = client_for(member_user)
    assert [p["id"] for p in api.get("/api/projects/").json()["results"]] == [world.filed.pk]
    mine = api.get("/api/project-tasks/?mine=true").json()["results"]
    assert [t["id"] for t in mine] == [world.task.pk]


def test_the_project_list_filters_like_the_page(client_for, world, gongwei_staff, organ_b):
    api = client_for(gongwei_staff)
    filed = api.get("/api/projects/?status=filed").json()["results"]
    assert {p["id"] for p in filed} == {world.filed.pk, world.other_project.pk}
    by_organ = api.get(f"/api/projects/?organ={organ_b.pk}").json()["results"]
    assert [p["id"] for p in by_organ] == [world.other_project.pk]
    assert api.get("/api/projects/?year=2025").status_code == 400
    ordered = api.get("/api/projects/?ordering=-title").json()["results"]
    assert [p["title"] for p in ordered] == sorted((p["title"] for p in ordered), reverse=True)


def test_the_excel_export_holds_the_same_rows_as_the_filtered_list(client_for, world, organ_staff_a):
    api = client_for(organ_staff_a)
    listed = api.get("/api/projects/?status=filed").json()["results"]
    response = api.get("/api/projects/?status=filed&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[3] for r in rows] == [p["title"] for p in listed] == [world.filed.title]


def test_an_excel_request_refused_for_a_member_answers_in_json(client_for, world, member_user):
    response = client_for(member_user).get("/api/projects/?format=xlsx")
    assert response.status_code == 403
    assert "无权导出" in response.json()["detail"]


def test_a_forged_evidence_file_is_refused_on_the_files_field(client_for, world, secretary_of_branch_a):
    response = client_for(secretary_of_branch_a).post(
        f"/api/project-milestones/{world.milestone.pk}/progress/",
        {"text": "完成一半。", "percent": 50, "files": [SimpleUploadedFile("报告.pdf", b"<html>not a pdf</html>")]},
    )
    assert response.status_code == 400
    assert "报告.pdf" in response.json()["files"][0]
    assert not world.milestone.reports.exists()


def test_evidence_downloads_as_an_attachment_through_the_permission_check(client_for, world, member_user):
    response = client_for(member_user).get(f"/api/project-evidence/{world.evidence.token}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_duban_is_answered_once(client_for, world, secretary_of_branch_a):
    api = client_for(secretary_of_branch_a)
    url = f"/api/project-supervisions/{world.duban.pk}/answer/"
    assert api.post(url, {"answer": "已整改"}, content_type="application/json").status_code == 200
    again = api.post(url, {"answer": "再答一次"}, content_type="application/json")
    assert again.status_code == 409 and "不能重复答复" in again.json()["detail"]
    assert Supervision.objects.get(pk=world.duban.pk).answer == "已整改"


def test_reviewers_see_only_their_own_marks_until_the_result_is_confirmed(client_for, world, organ_staff_a):
    api = client_for(organ_staff_a)
    before = api.get(f"/api/project-reviews/?project={world.requested.pk}").json()
    assert before["count"] == 0
    marks = [{"criterion": c.pk, "points": str(c.max_points)} for c in world.criteria]
    mine = api.post(f"/api/projects/{world.requested.pk}/score/", {"marks": marks}, content_type="application/json")
    assert mine.status_code == 200 and mine.json()["total"] == "100.00"
    after = api.get(f"/api/project-reviews/?project={world.requested.pk}").json()["results"]
    assert [r["id"] for r in after] == [mine.json()["id"]]


def test_a_score_above_the_criterions_maximum_is_refused(client_for, world, organ_staff_a):
    marks = [{"criterion": c.pk, "points": str(c.max_points + 1)} for c in world.criteria]
    response = client_for(organ_staff_a).post(
        f"/api/projects/{world.requested.pk}/score/", {"marks": marks}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "分之间" in response.json()["detail"][0]


def test_token_authentication_works_on_the_project_endpoints(client, world, secretary_of_branch_a):
    key = Token.objects.create(user=secretary_of_branch_a).key
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    listed = client.get("/api/projects/", **headers)
    assert listed.status_code == 200 and listed.json()["count"] >= 1
    submitted = client.post(f"/api/projects/{world.draft.pk}/submit/", **headers)
    assert submitted.status_code == 200 and submitted.json()["status"] == ProjectStatus.SUBMITTED
    exported = client.get("/api/projects/?format=xlsx", **headers)
    assert exported.status_code == 200
    # A bad token is refused (401 with a token scheme first, 403 while sessions come first in the settings).
    assert client.get("/api/projects/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


# --- query counts ------------------------------------------------------------------------------


def _grow(world, gongwei_staff, branch_a, n: int) -> None:
    for i in range(n):
        project = ProjectFactory(branch=branch_a, filed=True, responsible=world.responsible)
        TargetFactory(project=project)
        milestone = MilestoneFactory(project=project)
        TaskFactory(project=project, assignees=[world.member, MemberFactory(branch=branch_a)])
        SupervisionFactory(project=project, duban=True, author=gongwei_staff, milestone=milestone)
        EvidenceFactory(project=project)
        TopicFactory(topic_list=TopicListFactory(organ=None, year=2010 + i, created_by=gongwei_staff))
    for project in Project.objects.filter(status=ProjectStatus.ACCEPTANCE_REQUESTED):
        AcceptanceReviewFactory(project=project, reviewer=UserFactory())
    grant(UserFactory(), Role.GONGWEI)


LISTS = [
    "/api/projects/?year=all",
    "/api/projects/?year=all&format=xlsx",
    "/api/topic-lists/",
    "/api/topics/",
    "/api/project-milestones/",
    "/api/project-evidence/",
    "/api/project-tasks/",
    "/api/project-supervisions/",
    "/api/project-reviews/",
]


@pytest.mark.parametrize("url", LISTS)
def test_list_endpoints_issue_a_fixed_number_of_queries(client_for, world, gongwei_staff, branch_a, url):
    api = client_for(gongwei_staff)
    api.get(url)  # warm up: the year's rules, sessions

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200
        return len(queries), len(response.content)

    few, few_size = count()
    _grow(world, gongwei_staff, branch_a, 4)
    many, many_size = count()
    assert many_size > few_size
    assert many == few, f"{url}: {few} queries for the first rows, {many} after adding more"


def test_tasks_are_ordered_and_filtered(client_for, world, secretary_of_branch_a):
    TaskFactory(project=world.filed, status=TaskStatus.DONE, assignees=[world.member])
    api = client_for(secretary_of_branch_a)
    done = api.get(f"/api/project-tasks/?project={world.filed.pk}&status=done").json()["results"]
    assert len(done) == 1 and done[0]["status"] == TaskStatus.DONE
    assert Task.objects.filter(project=world.filed).count() == 2


def test_publishing_an_empty_topic_list_is_refused(client_for, world, organ_staff_a, organ_a):
    empty = TopicList.objects.create(
        year=2027,
        organ=organ_a,
        opens_on=datetime.date(2027, 3, 1),
        closes_on=datetime.date(2027, 4, 30),
        created_by=organ_staff_a,
    )
    api = client_for(organ_staff_a)
    response = api.post(f"/api/topic-lists/{empty.pk}/publish/")
    assert response.status_code == 400 and "至少添加一个题目" in response.json()["detail"][0]
    published = api.post(f"/api/topic-lists/{world.draft_list.pk}/publish/")
    assert published.status_code == 200 and published.json()["is_published"]
    again = api.post(f"/api/topic-lists/{world.draft_list.pk}/publish/")
    assert again.status_code == 409
