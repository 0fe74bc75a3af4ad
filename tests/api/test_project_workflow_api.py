"""一支部一项目 from a topic to an accepted project, through the JSON API alone.

The 机关党委 publishes a topic; the secretary files a project on it; the 机关党委 returns it;
the secretary fixes and resubmits it; it is approved and the 工委 files it; a task is done by
its assignee; progress is filed with evidence; a 督办 is answered; a milestone is moved with a
reason; the branch requests acceptance; the 机关党委 assigns a 评审专家; three reviewers score; the
工委 accepts and picks it for the 十佳; the 工委 then rates the year and the project's score shows in
the branch's result.
Each step is one HTTP call with a token, and the project's record shows them all.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from notifications.models import Notification
from projects.choices import Direction, Grade, ProjectStatus, SupervisionKind, TaskStatus
from projects.models import Project, ProjectEvent
from tests.factories import MemberFactory, Role, UserFactory, grant

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


class Api:
    """A client speaking for one account with its API token, as an integration would."""

    def __init__(self, client, user):
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}

    def _check(self, response, expected: int):
        assert response.status_code == expected, response.content.decode()[:500]
        if response.get("Content-Type") != "application/json" or response.status_code == 204:
            return response
        return response.json()

    def get(self, url: str, expected: int = 200):
        return self._check(self.client.get(url, **self.auth), expected)

    def post(self, url: str, data=None, expected: int = 200):
        response = self.client.post(url, data or {}, content_type="application/json", **self.auth)
        return self._check(response, expected)

    def patch(self, url: str, data, expected: int = 200):
        response = self.client.patch(url, data, content_type="application/json", **self.auth)
        return self._check(response, expected)

    def upload(self, url: str, data, expected: int = 201):
        return self._check(self.client.post(url, data, **self.auth), expected)


def test_a_project_goes_from_a_topic_to_accepted_and_rated_through_the_api_alone(
    client,
    time_machine,
    django_capture_on_commit_callbacks,
    organ_a,
    branch_a,
    gongwei_staff,
    organ_staff_a,
    secretary_of_branch_a,
    member_user,
):
    time_machine.move_to("2026-03-02 09:00 +0800", tick=False)
    gongwei = Api(client, gongwei_staff)
    jiguan = Api(client, organ_staff_a)
    shuji = Api(client, secretary_of_branch_a)
    dangyuan = Api(client, member_user)
    reviewers = [jiguan, gongwei]
    third = UserFactory(username="pingshen", full_name="评审专家")
    grant(third, Role.EXPERT)
    expert = Api(client, third)
    reviewers.append(expert)
    responsible = MemberFactory(branch=branch_a, name="王组织")
    member = member_user.member

    # 党委出题: the 机关党委 opens a list, adds a topic, publishes it.
    topic_list = jiguan.post(
        "/api/topic-lists/",
        {"year": 2026, "organ": organ_a.pk, "opens_on": "2026-03-01", "closes_on": "2026-04-30"},
        expected=201,
    )
    assert topic_list["is_published"] is False
    topic = jiguan.post(
        "/api/topics/",
        {"topic_list": topic_list["id"], "title": "优化审批流程", "direction": Direction.BUSINESS_ENV},
        expected=201,
    )
    assert jiguan.post(f"/api/topic-lists/{topic_list['id']}/publish/")["is_published"] is True
    assert [t["id"] for t in shuji.get("/api/topics/?year=2026")["results"]] == [topic["id"]]

    # 支部立项: the secretary files a draft on the topic and submits it.
    project = shuji.post(
        "/api/projects/",
        {
            "branch": branch_a.pk,
            "year": 2026,
            "title": "“一网通办”提速项目",
            "topic": topic["id"],
            "problem": "群众办事跑腿多。",
            "goals": "办结时限压缩三成。",
            "start_on": "2026-03-15",
            "end_on": "2026-12-31",
            "responsible": responsible.pk,
            "is_secretary_project": True,
            "targets": [{"name": "办结时限压缩", "unit": "%", "target_value": "30"}],
            "milestones": [
                {"title": "调研摸底", "planned_on": "2026-05-31", "weight": 1},
                {"title": "全面推行", "planned_on": "2026-10-31", "weight": 3},
            ],
        },
        expected=201,
    )
    pk = project["id"]
    assert project["status"] == ProjectStatus.DRAFT and project["direction"] == Direction.BUSINESS_ENV
    assert shuji.post(f"/api/projects/{pk}/submit/")["status"] == ProjectStatus.SUBMITTED

    # 机关党委 returns it with a reason; the secretary sees why, fixes the target and resubmits.
    returned = jiguan.post(f"/api/projects/{pk}/return/", {"reason": "请补充满意度指标。"})
    assert returned["status"] == ProjectStatus.RETURNED
    assert shuji.get(f"/api/projects/{pk}/")["return_reason"] == "请补充满意度指标。"
    target_id = returned["targets"][0]["id"]
    time_machine.move_to("2026-05-20 09:00 +0800", tick=False)  # past the deadline: a returned project may come back
    fixed = shuji.patch(
        f"/api/projects/{pk}/",
        {
            "targets": [
                {"id": target_id, "name": "办结时限压缩", "unit": "%", "target_value": "30"},
                {"name": "群众满意度", "unit": "%", "target_value": "95"},
            ]
        },
    )
    assert len(fixed["targets"]) == 2 and len(fixed["milestones"]) == 2
    assert shuji.post(f"/api/projects/{pk}/submit/")["status"] == ProjectStatus.SUBMITTED

    # 审核通过 → 工委备案.
    assert jiguan.post(f"/api/projects/{pk}/approve/", {"note": "同意立项"})["status"] == ProjectStatus.APPROVED
    shuji.post(f"/api/projects/{pk}/file/", expected=403)
    assert gongwei.post(f"/api/projects/{pk}/file/")["status"] == ProjectStatus.FILED

    # 任务到人: the secretary assigns a task; the member finds it in 我的任务 and completes it.
    task = shuji.post(
        "/api/project-tasks/",
        {"project": pk, "title": "梳理事项清单", "assignees": [member.pk], "due_on": "2026-06-30"},
        expected=201,
    )
    mine = dangyuan.get("/api/project-tasks/?mine=true")["results"]
    assert [t["id"] for t in mine] == [task["id"]]
    done = dangyuan.post(f"/api/project-tasks/{task['id']}/progress/", {"status": TaskStatus.DONE})
    assert done["status"] == TaskStatus.DONE and done["completed_on"] == "2026-05-20"

    # 节点督查: progress with evidence, a 督办 answered, a milestone moved with a reason.
    milestones = {m["title"]: m["id"] for m in shuji.get(f"/api/project-milestones/?project={pk}")["results"]}
    report = shuji.upload(
        f"/api/project-milestones/{milestones['调研摸底']}/progress/",
        {"text": "调研完成。", "percent": 100, "files": [SimpleUploadedFile("调研照片.png", PNG)]},
    )
    assert report["percent"] == 100 and report["files"][0]["original_name"] == "调研照片.png"
    download = jiguan.get(report["files"][0]["download_url"])
    assert b"".join(download.streaming_content) == PNG
    duban = jiguan.post(
        "/api/project-supervisions/",
        {
            "project": pk,
            "kind": SupervisionKind.DUBAN,
            "text": "全面推行节点请加快。",
            "milestone": milestones["全面推行"],
        },
        expected=201,
    )
    assert duban["awaits_answer"] is True
    answered = shuji.post(f"/api/project-supervisions/{duban['id']}/answer/", {"answer": "已增派人手。"})
    assert answered["awaits_answer"] is False
    shuji.post(
        f"/api/project-milestones/{milestones['全面推行']}/reschedule/", {"planned_on": "2026-11-30"}, expected=400
    )
    moved = shuji.post(
        f"/api/project-milestones/{milestones['全面推行']}/reschedule/",
        {"planned_on": "2026-11-30", "reason": "配合省级系统上线时间"},
    )
    assert moved["planned_on"] == "2026-11-30"
    time_machine.move_to("2026-11-25 09:00 +0800", tick=False)
    shuji.upload(f"/api/project-milestones/{milestones['全面推行']}/progress/", {"text": "全面推行。", "percent": 100})
    assert shuji.get(f"/api/projects/{pk}/")["progress"] == 100.0

    # 公开验收: the branch reports results; reviewers score; the 工委 accepts.
    targets = shuji.get(f"/api/projects/{pk}/")["targets"]
    requested = shuji.post(
        f"/api/projects/{pk}/request-acceptance/",
        {
            "summary": "办结时限压缩 35%，满意度 97%。",
            "results": [{"target": t["id"], "actual_value": v} for t, v in zip(targets, ("35", "97"), strict=True)],
        },
    )
    assert requested["status"] == ProjectStatus.ACCEPTANCE_REQUESTED
    shuji.post(f"/api/project-tasks/{task['id']}/progress/", {"status": TaskStatus.DOING}, expected=409)
    rubric = requested["rubric"]
    assert [c["max_points"] for c in rubric] == [50, 25, 25]
    shuji.post(f"/api/projects/{pk}/score/", {"marks": []}, expected=403)  # the branch never scores itself
    # The expert scores once the 机关党委 has put it on the panel; until then the project is not its to see.
    expert.post(f"/api/projects/{pk}/score/", {"marks": []}, expected=404)
    candidates = jiguan.get(f"/api/project-expert-assignments/candidates/?project={pk}")
    assert [c["id"] for c in candidates] == [third.pk]
    jiguan.post("/api/project-expert-assignments/", {"project": pk, "expert": third.pk}, expected=201)
    assert [p["id"] for p in expert.get("/api/projects/?year=all")["results"]] == [pk]
    jiguan.post(f"/api/projects/{pk}/score/", {"marks": []}, expected=400)  # every criterion needs a mark
    gongwei.post(f"/api/projects/{pk}/accept/", expected=400)  # no reviews yet: too few reviewers
    for api, deduction in zip(reviewers, (2, 4, 6), strict=True):
        first, *rest = rubric
        marks = [{"criterion": first["id"], "points": str(first["max_points"] - deduction)}]
        marks += [{"criterion": c["id"], "points": str(c["max_points"])} for c in rest]
        review = api.post(f"/api/projects/{pk}/score/", {"marks": marks, "comment": "成效明显。"})
        assert review["project"] == pk
    accepted = gongwei.post(f"/api/projects/{pk}/accept/")
    assert accepted["status"] == ProjectStatus.ACCEPTED
    # 98, 96 and 94 average to 96: above the 优秀 line, but the year's only accepted project cannot
    # be 优秀 (the quota is half of the accepted projects, rounded down), so it is 良好.
    assert accepted["score"] == "96.00" and accepted["grade"] == Grade.GOOD
    assert gongwei.post(f"/api/projects/{pk}/top-ten/", {"on": True})["is_top_ten"] is True

    # Everyone concerned sees the result; the record holds every step, in order, with who did it.
    assert shuji.get(f"/api/project-reviews/?project={pk}")["count"] == 3
    assert shuji.get(f"/api/project-reviews/?project={pk}")["results"][0]["reviewer_name"] is None
    assert jiguan.get(f"/api/project-reviews/?project={pk}")["results"][0]["reviewer_name"]
    actions = list(ProjectEvent.objects.filter(project_id=pk).values_list("action", flat=True))
    assert actions == [
        "创建项目", "提交审核", "退回修改", "提交审核", "审核通过", "工委备案", "下发督办", "答复督办",
        "申请验收", "确认验收", "评为十佳党建项目",
    ]  # fmt: skip
    project = Project.objects.get(pk=pk)
    assert project.published_at is not None
    assert Notification.objects.filter(recipient=secretary_of_branch_a, title__contains="退回").exists()
    assert datetime.date(2026, 11, 30) == project.milestones.get(title="全面推行").planned_on

    # The accepted project counts in the year's rating: a scheme, a run computed by the (eager)
    # Celery task and published, all through the API; the branch reads its points for the project.
    # The run waits for the year's last assessed period to be due (2027-01-15), else it is a 试算.
    gongwei.post("/api/schemes/", {"year": 2026}, expected=201)
    time_machine.move_to("2027-01-16 09:00 +0800", tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        queued = gongwei.post("/api/rating-runs/compute/", {"year": 2026}, expected=202)
    assert gongwei.get(f"/api/rating-runs/{queued['id']}/")["status"] == "draft"
    assert gongwei.post(f"/api/rating-runs/{queued['id']}/publish/")["status"] == "published"
    mine = shuji.get("/api/rating-results/?year=2026")["results"]
    assert [row["branch_name"] for row in mine] == [branch_a.name]
    result = shuji.get(f"/api/rating-results/{mine[0]['id']}/")
    lines = {line["name"]: line for line in result["breakdown"]}
    assert lines["项目验收得分"]["input"] == "验收得分 96.00（良好）"
    assert lines["项目验收得分"]["score"] == "13.44"  # 96% of the indicator's 14 points
