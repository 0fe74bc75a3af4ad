"""The assessments API: who reaches which endpoint (roles × endpoints), workflow refusals (409),
field-by-field input errors (400), scoping (404), the Excel exports, tokens and query counts."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assessments import reports
from assessments.choices import (
    AppraisalStatus,
    PointEntryStatus,
    ProblemSource,
    ProblemStatus,
    ReportStatus,
    RunStatus,
    SecretaryReportStatus,
)
from assessments.models import (
    Adjustment,
    Appraisal,
    DutyReport,
    PointEntry,
    PointRule,
    Problem,
    ScorecardExport,
    SecretaryReport,
)
from tests.assessments.factories import RatingResultFactory, RatingRunFactory, default_scheme, keep_filing
from tests.factories import BranchFactory, MemberFactory, UserFactory

YEAR = 2025
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
ROLES = ["anonymous", "member", "other_secretary", "secretary", "other_organ", "organ", "gongwei"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_march_2026():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(member_user, secretary_of_branch_b, secretary_of_branch_a, organ_staff_b, organ_staff_a, gongwei_staff):
    return dict(
        zip(
            ROLES,
            [
                None,
                member_user,
                secretary_of_branch_b,
                secretary_of_branch_a,
                organ_staff_b,
                organ_staff_a,
                gongwei_staff,
            ],
            strict=True,
        )
    )


@pytest.fixture
def world(people, branch_a, branch_b):
    """One of each record, all in branch_a (organ_a) unless said otherwise."""
    secretary, member = people["secretary"], people["member"].member
    leader = MemberFactory(branch=branch_a, name="王处长", is_leader=True, post="处长")
    h1 = reports.ensure_periods([YEAR])[0]
    texts = dict.fromkeys(reports.TEXT_FIELDS, "内容")
    report = keep_filing(
        DutyReport.objects.create(
            member=leader, period=h1, status=ReportStatus.SUBMITTED, submitted_at=timezone.now(), **texts
        )
    )
    problem = Problem.objects.create(
        branch=branch_a,
        source=ProblemSource.SUPERVISION,
        title="学习记录不完整",
        responsible=leader,
        measures="补齐记录",
        deadline=datetime.date(2026, 6, 30),
        status=ProblemStatus.DONE,
        closing_note="已补齐",
        closed_at=timezone.now(),
        created_by=people["organ"],
    )
    scheme = default_scheme(YEAR)
    published = RatingRunFactory(year=YEAR, number=1, scheme=scheme, status=RunStatus.PUBLISHED)
    draft = RatingRunFactory(year=YEAR, number=2, scheme=scheme, status=RunStatus.DRAFT)
    result_a = RatingResultFactory(run=published, branch=branch_a)
    result_b = RatingResultFactory(run=published, branch=branch_b, rank=2)
    appraisal = Appraisal.objects.create(
        branch=branch_a,
        year=YEAR,
        status=AppraisalStatus.FINALIZED,
        held_on=datetime.date(2026, 1, 10),
        finalized_at=timezone.now(),
    )
    rule = PointRule.objects.create(year=YEAR, name="参加志愿服务", points=Decimal("2"))
    entry = PointEntry.objects.create(
        member=member,
        rule=rule,
        year=YEAR,
        points=Decimal("2"),
        occurred_on=datetime.date(YEAR, 5, 1),
        note="社区服务",
        added_by=secretary,
    )
    secretary_report = SecretaryReport.objects.create(
        branch=branch_a,
        year=YEAR,
        secretary=leader,
        text="述职内容",
        status=SecretaryReportStatus.SUBMITTED,
        submitted_at=timezone.now(),
        created_by=secretary,
    )
    adjustment = Adjustment.objects.create(
        branch=branch_a, year=YEAR, kind="bonus", name="表彰", points=Decimal("1"), note="n", created_by=people["organ"]
    )
    export = ScorecardExport.objects.create(run=published, requested_by=people["gongwei"], token="t0")
    return {
        "adjustment": adjustment,
        "export": export,
        "branch_a": branch_a,
        "report": report,
        "period": h1,
        "problem": problem,
        "scheme": scheme,
        "published": published,
        "draft": draft,
        "result_a": result_a,
        "result_b": result_b,
        "appraisal": appraisal,
        "rule": rule,
        "entry": entry,
        "secretary_report": secretary_report,
    }


def api_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


A = 401  # anonymous: the token authenticator (first) challenges, so DRF answers 401

# (method, url template, body, expected status per role in ROLES order)
TABLE = [
    ("get", "/api/duty-report-periods/", None, [A, 403, 200, 200, 200, 200, 200]),
    ("get", "/api/duty-reports/", None, [A, 200, 200, 200, 200, 200, 200]),
    ("get", "/api/duty-reports/{report}/", None, [A, 404, 404, 200, 404, 200, 200]),
    ("post", "/api/duty-reports/{report}/accept/", {}, [A, 404, 404, 403, 404, 200, 200]),
    ("post", "/api/duty-reports/{report}/return/", {"reason": "请补充"}, [A, 404, 404, 403, 404, 200, 200]),
    ("get", "/api/duty-reports/overview/", None, [A, 403, 200, 200, 200, 200, 200]),
    ("get", "/api/problems/", None, [A, 403, 200, 200, 200, 200, 200]),
    ("get", "/api/problems/{problem}/", None, [A, 404, 404, 200, 404, 200, 200]),
    ("post", "/api/problems/{problem}/verify/", {}, [A, 404, 404, 403, 404, 200, 200]),
    ("post", "/api/problems/{problem}/reopen/", {"reason": "不彻底"}, [A, 404, 404, 403, 404, 200, 200]),
    ("get", "/api/schemes/", None, [A, 403, 403, 403, 200, 200, 200]),
    ("get", "/api/schemes/{scheme}/", None, [A, 403, 403, 403, 200, 200, 200]),
    ("post", "/api/schemes/", {"year": 2030}, [A, 403, 403, 403, 403, 403, 201]),
    ("post", "/api/schemes/{scheme}/new-version/", {}, [A, 403, 403, 403, 403, 403, 201]),
    ("get", "/api/scheme-indicators/?scheme={scheme}", None, [A, 403, 403, 403, 200, 200, 200]),
    ("get", "/api/indicator-scores/", None, [A, 403, 403, 403, 200, 200, 200]),
    ("get", "/api/adjustments/", None, [A, 403, 403, 403, 200, 200, 200]),
    (
        "post",
        "/api/adjustments/",
        {"branch": "{branch_a}", "year": YEAR, "kind": "bonus", "name": "市级表彰", "points": "2", "note": "文件"},
        [A, 404, 404, 403, 404, 201, 201],
    ),
    ("get", "/api/rating-runs/", None, [A, 403, 403, 403, 200, 200, 200]),
    ("get", "/api/rating-runs/{published}/", None, [A, 403, 403, 403, 200, 200, 200]),
    ("get", "/api/rating-runs/{draft}/", None, [A, 404, 404, 404, 404, 404, 200]),
    ("post", "/api/rating-runs/{draft}/publish/", {}, [A, 404, 404, 404, 404, 404, 200]),
    ("post", "/api/rating-runs/compute/", {"year": YEAR}, [A, 403, 403, 403, 403, 403, 202]),
    ("get", "/api/rating-results/", None, [A, 200, 200, 200, 200, 200, 200]),
    ("get", "/api/rating-results/{result_a}/", None, [A, 404, 404, 200, 404, 200, 200]),
    ("get", "/api/appraisals/", None, [A, 403, 200, 200, 200, 200, 200]),
    ("get", "/api/appraisals/{appraisal}/", None, [A, 404, 404, 200, 404, 200, 200]),
    ("post", "/api/appraisals/{appraisal}/reopen/", {"reason": "名单有误"}, [A, 404, 404, 403, 404, 200, 200]),
    ("get", f"/api/point-rules/?year={YEAR}", None, [A, 403, 200, 200, 200, 200, 200]),
    (
        "post",
        "/api/point-rules/",
        {"year": YEAR, "name": "讲党课", "points": "3"},
        [A, 403, 403, 403, 403, 403, 201],
    ),
    ("get", "/api/point-entries/", None, [A, 200, 200, 200, 200, 200, 200]),
    ("get", "/api/point-entries/{entry}/", None, [A, 200, 404, 200, 404, 200, 200]),
    ("post", "/api/point-entries/{entry}/approve/", {}, [A, 403, 404, 403, 404, 200, 200]),
    ("get", "/api/secretary-reports/{secretary_report}/", None, [A, 404, 404, 200, 404, 200, 200]),
    (
        "post",
        "/api/secretary-reports/{secretary_report}/evaluate/",
        {"grade": "good", "evaluation": "认真"},
        [A, 404, 404, 403, 404, 200, 200],
    ),
    (
        "post",
        "/api/secretary-reports/{secretary_report}/return/",
        {"reason": "请补充"},
        [A, 404, 404, 403, 404, 200, 200],
    ),
    ("get", "/api/scorecard-exports/", None, [A, 403, 403, 403, 200, 200, 200]),
    ("post", "/api/scorecard-exports/", {"run": "{published}"}, [A, 403, 403, 403, 202, 202, 202]),
]

CASES = [
    pytest.param(method, url, body, role, expected[n], id=f"{method} {url} as {role}")
    for method, url, body, expected in TABLE
    for n, role in enumerate(ROLES)
]


def _fill(value, world):
    ids = {name: obj.pk for name, obj in world.items()}
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("method", "url", "body", "role", "expected"), CASES)
def test_roles_and_endpoints(world, people, method, url, body, role, expected):
    client = api_for(people[role])
    response = getattr(client, method)(_fill(url, world), _fill(body, world), format="json")
    assert response.status_code == expected, response.content.decode()[:300]


# --- behaviour ------------------------------------------------------------------------------


def test_an_illegal_transition_answers_409_in_chinese(world, people):
    client = api_for(people["organ"])
    assert client.post(f"/api/duty-reports/{world['report'].pk}/accept/").status_code == 200
    again = client.post(f"/api/duty-reports/{world['report'].pk}/accept/")
    assert again.status_code == 409
    assert "只有待审阅的报告可以审阅通过" in again.json()["detail"]
    problem = client.post(f"/api/problems/{world['problem'].pk}/start/")
    assert problem.status_code == 409
    assert "不能开始整改" in problem.json()["detail"]


def test_input_errors_answer_400_field_by_field(world, people):
    client = api_for(people["secretary"])
    response = client.post("/api/problems/", {"branch": world["branch_a"].pk, "source": "nonsense"}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert {"source", "title", "responsible", "measures", "deadline"} <= set(errors)
    assert Problem.objects.count() == 1


def test_a_service_refusal_answers_400_with_its_message(world, people):
    blank = api_for(people["organ"]).post(f"/api/duty-reports/{world['report'].pk}/return/", {}, format="json")
    assert blank.status_code == 400
    assert "reason" in blank.json()
    response = api_for(people["gongwei"]).post("/api/schemes/", {"year": YEAR}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == [f"{YEAR}年度已有考核方案。"]


def test_problem_workflow_through_the_api(world, people):
    secretary, organ = api_for(people["secretary"]), api_for(people["organ"])
    leader = world["report"].member
    created = secretary.post(
        "/api/problems/",
        {
            "branch": world["branch_a"].pk,
            "source": "self",
            "title": "台账不规范",
            "responsible": leader.pk,
            "measures": "规范台账",
            "deadline": "2026-04-30",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert secretary.post(f"/api/problems/{pk}/start/").json()["status"] == "in_progress"
    assert secretary.post(f"/api/problems/{pk}/close/", {"note": "已规范"}, format="json").json()["status"] == "done"
    assert secretary.post(f"/api/problems/{pk}/verify/").status_code == 403
    assert organ.post(f"/api/problems/{pk}/verify/").json()["status"] == "verified"


def test_a_member_of_another_branch_is_not_a_responsible_choice(world, people, branch_b):
    stranger = MemberFactory(branch=branch_b)
    response = api_for(people["secretary"]).post(
        "/api/problems/",
        {
            "branch": world["branch_a"].pk,
            "source": "self",
            "title": "x",
            "responsible": stranger.pk,
            "measures": "y",
            "deadline": "2026-04-30",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "responsible" in response.json()


def test_duty_report_filed_and_submitted_by_the_leader(world, people, branch_a):
    user = UserFactory()
    leader = MemberFactory(branch=branch_a, is_leader=True, user=user)
    client = api_for(user)
    draft = client.post(
        "/api/duty-reports/",
        {"member": leader.pk, "period": world["period"].pk, "business_work": "业务"},
        format="json",
    )
    assert draft.status_code == 201, draft.content
    pk = draft.json()["id"]
    refused = client.post(f"/api/duty-reports/{pk}/submit/")
    assert refused.status_code == 400
    assert "提交前请填写" in refused.json()["detail"][0]
    patch = {"party_work": "党建", "problems": "问题", "next_steps": "措施"}
    assert client.patch(f"/api/duty-reports/{pk}/", patch, format="json").status_code == 200
    submitted = client.post(f"/api/duty-reports/{pk}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert client.patch(f"/api/duty-reports/{pk}/", patch, format="json").status_code == 409


def test_objects_outside_scope_are_404(world, people):
    other = api_for(people["other_organ"])
    for url in (
        f"/api/duty-reports/{world['report'].pk}/",
        f"/api/problems/{world['problem'].pk}/",
        f"/api/appraisals/{world['appraisal'].pk}/",
        f"/api/rating-results/{world['result_a'].pk}/",
        f"/api/secretary-reports/{world['secretary_report'].pk}/",
    ):
        assert other.get(url).status_code == 404, url
    listed = other.get("/api/rating-results/").json()["results"]
    assert [r["id"] for r in listed] == [world["result_b"].pk]


def test_problem_ledger_exports_the_filtered_rows_as_xlsx(world, people):
    Problem.objects.create(
        branch=world["branch_a"],
        source=ProblemSource.SELF,
        title="另一问题",
        responsible=world["report"].member,
        measures="m",
        deadline=datetime.date(2026, 5, 1),
        created_by=people["secretary"],
    )
    response = api_for(people["organ"]).get("/api/problems/?format=xlsx&status=done")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "问题"
    assert [row[3] for row in rows[1:]] == ["学习记录不完整"]


def test_duty_report_overview_and_its_xlsx(world, people):
    client = api_for(people["organ"])
    listed = client.get(f"/api/duty-reports/overview/?period={world['period'].pk}")
    assert listed.status_code == 200
    assert [(r["name"], r["filing"]) for r in listed.json()["results"]] == [("王处长", "submitted")]
    exported = client.get(f"/api/duty-reports/overview/?period={world['period'].pk}&format=xlsx")
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[1][3] == "王处长"


def test_xlsx_refusal_answers_json(world, people):
    response = api_for(people["member"]).get("/api/problems/?format=xlsx")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "无权" in response.json()["detail"]


def test_a_detail_asked_as_xlsx_answers_json(world, people):
    client = api_for(people["organ"])
    response = client.get(f"/api/problems/{world['problem'].pk}/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["id"] == world["problem"].pk


def test_an_action_asked_as_xlsx_answers_json(world, people):
    client = api_for(people["organ"])
    response = client.post(f"/api/problems/{world['problem'].pk}/verify/?format=xlsx")
    assert response["Content-Type"].startswith("application/json")
    assert response.status_code in (200, 409)


def test_token_authentication(world, people):
    token = Token.objects.create(user=people["organ"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(f"/api/problems/{world['problem'].pk}/").status_code == 200
    assert client.post(f"/api/problems/{world['problem'].pk}/verify/").status_code == 200
    exported = client.get(f"/api/duty-reports/overview/?period={world['period'].pk}&format=xlsx")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get(f"/api/problems/{world['problem'].pk}/").status_code in (401, 403)


def test_point_entry_added_by_one_and_approved_by_another(world, people):
    secretary = api_for(people["secretary"])
    member = people["member"].member
    added = secretary.post(
        "/api/point-entries/",
        {"member": member.pk, "rule": world["rule"].pk, "occurred_on": "2025-06-01", "note": "志愿服务"},
        format="json",
    )
    assert added.status_code == 201, added.content
    pk = added.json()["id"]
    assert secretary.post(f"/api/point-entries/{pk}/approve/").status_code == 403
    assert api_for(people["organ"]).post(f"/api/point-entries/{pk}/approve/").json()["status"] == "approved"
    totals = api_for(people["member"]).get(f"/api/point-entries/totals/?member={member.pk}&year={YEAR}")
    assert totals.status_code == 200
    assert totals.json()[0]["pending"] == 1  # the fixture's entry still waits


def test_secretary_report_draft_with_an_attachment_and_download(people, branch_a):
    from tests.factories import CommitteeMemberFactory, CommitteeTermFactory

    term = CommitteeTermFactory(branch=branch_a)
    CommitteeMemberFactory(term=term, post="secretary")
    client = api_for(people["secretary"])
    pdf = io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pdf.name = "述职.pdf"
    response = client.post(
        "/api/secretary-reports/draft/",
        {"branch": branch_a.pk, "year": YEAR, "text": "述职", "files": [pdf]},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["original_name"] for a in body["attachments"]] == ["述职.pdf"]
    url = f"/api/secretary-reports/{body['id']}/attachments/{body['attachments'][0]['id']}/"
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert api_for(people["other_organ"]).get(url).status_code == 404
    assert client.post(f"/api/secretary-reports/{body['id']}/submit/").json()["status"] == "submitted"


def test_appraisal_opened_recorded_and_finalized(people, branch_a):
    default_scheme(YEAR)
    client = api_for(people["secretary"])
    opened = client.post("/api/appraisals/open/", {"branch": branch_a.pk, "year": YEAR}, format="json")
    assert opened.status_code == 200, opened.content
    body = opened.json()
    rows = [{"id": e["id"], "grade": "qualified"} for e in body["entries"]]
    saved = client.post(f"/api/appraisals/{body['id']}/entries/", {"entries": rows}, format="json")
    assert saved.status_code == 200, saved.content
    bad = client.post(
        f"/api/appraisals/{body['id']}/entries/", {"entries": [{"id": rows[0]["id"], "grade": "x"}]}, format="json"
    )
    assert bad.status_code == 400
    done = client.post(f"/api/appraisals/{body['id']}/finalize/", {"held_on": "2026-01-15"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "finalized"
    again = client.post(f"/api/appraisals/{body['id']}/finalize/", {"held_on": "2026-01-15"}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == ["评议结果已经确定。"]


def test_scheme_editing_through_the_api(gongwei_staff):
    client = api_for(gongwei_staff)
    scheme = client.post("/api/schemes/", {"year": YEAR}, format="json").json()
    assert len(scheme["indicators"]) == 13
    bad = client.patch(f"/api/schemes/{scheme['id']}/", {"bottom_share": "20"}, format="json")
    assert bad.status_code == 400
    assert "bottom_share" in bad.json()
    ok = client.patch(f"/api/schemes/{scheme['id']}/", {"name": "新名称"}, format="json")
    assert ok.json()["name"] == "新名称"
    dimension = client.post("/api/scheme-dimensions/", {"scheme": scheme["id"], "name": "新维度"}, format="json")
    assert dimension.status_code == 201
    taken = client.post("/api/scheme-dimensions/", {"scheme": scheme["id"], "name": "新维度"}, format="json")
    assert taken.status_code == 400
    assert "已有维度" in taken.json()["detail"][0]
    indicator = client.post(
        "/api/scheme-indicators/",
        {
            "scheme": scheme["id"],
            "dimension": dimension.json()["id"],
            "name": "新指标",
            "max_score": "5",
            "source": "manual",
        },
        format="json",
    )
    assert indicator.status_code == 201, indicator.content
    copy = client.post(f"/api/schemes/{scheme['id']}/copy/", {"year": YEAR + 1}, format="json")
    assert copy.status_code == 201
    assert copy.json()["year"] == YEAR + 1


# --- query counts -----------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def _more_rows(world, people, n: int = 6) -> None:
    organ_a = world["branch_a"].organ
    for i in range(n):
        branch = BranchFactory(organ=organ_a)
        leader = MemberFactory(branch=branch, is_leader=True)
        keep_filing(DutyReport.objects.create(member=leader, period=world["period"], business_work=f"{i}"))
        Problem.objects.create(
            branch=branch,
            source=ProblemSource.SELF,
            title=f"问题{i}",
            responsible=leader,
            measures="m",
            deadline=datetime.date(2026, 5, 1),
            created_by=people["secretary"],
        )
        RatingResultFactory(run=world["published"], branch=branch, rank=3 + i)
        Appraisal.objects.create(branch=branch, year=YEAR)
        PointEntry.objects.create(
            member=leader,
            rule=world["rule"],
            year=YEAR,
            points=Decimal("2"),
            occurred_on=datetime.date(YEAR, 5, 1),
            note="n",
            added_by=people["secretary"],
            status=PointEntryStatus.PENDING,
        )
        SecretaryReport.objects.create(branch=branch, year=YEAR, secretary=leader, text="t", created_by=people["organ"])
        Adjustment.objects.create(
            branch=branch,
            year=YEAR,
            kind="bonus",
            name="表彰",
            points=Decimal("1"),
            note="n",
            created_by=people["organ"],
        )
        ScorecardExport.objects.create(run=world["published"], requested_by=people["gongwei"], token=f"t{i + 1}")


LISTS = [
    "/api/duty-reports/",
    "/api/duty-reports/overview/?period={period}",
    "/api/problems/",
    "/api/rating-results/",
    "/api/rating-runs/",
    "/api/appraisals/",
    "/api/point-entries/",
    "/api/secretary-reports/",
    "/api/adjustments/",
    "/api/schemes/",
    "/api/scheme-indicators/",
    "/api/point-rules/",
    "/api/scorecard-exports/",
]


@pytest.mark.parametrize("url", LISTS)
def test_list_query_counts_do_not_grow_with_rows(world, people, url):
    client = api_for(people["gongwei"])
    url = _fill(url, world)
    client.get(url)  # first call creates what a list creates on first use (periods, rules)
    few = _count(client, url)
    _more_rows(world, people)
    assert _count(client, url) == few
