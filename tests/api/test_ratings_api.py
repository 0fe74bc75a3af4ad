"""The annual assessment through the API alone: scores entered → rating run computed → published →
results seen by each 机关党委 for its own organ only → scorecard export job → download opens."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.test import APIClient

from assessments.choices import IndicatorSource

YEAR = 2025
NOW = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_march_2026():
    with time_machine.travel(NOW, tick=False):
        yield


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_scores_to_published_ratings_to_scorecards(
    django_capture_on_commit_callbacks,
    gongwei_staff,
    organ_staff_a,
    organ_staff_b,
    secretary_of_branch_a,
    member_user,
    branch_a,
    branch_a2,
    branch_b,
):
    gongwei, organ_a, organ_b = api_for(gongwei_staff), api_for(organ_staff_a), api_for(organ_staff_b)

    # The 工委 sets up the year's scheme.
    scheme = gongwei.post("/api/schemes/", {"year": YEAR}, format="json")
    assert scheme.status_code == 201, scheme.content
    scored = [i for i in scheme.json()["indicators"] if i["source"] != IndicatorSource.COMPUTED]
    assert scored

    # Each 机关党委 scores its own branches; a branch of another organ is out of its reach.
    for client, branch, share in ((organ_a, branch_a, 1), (organ_a, branch_a2, 0.5), (organ_b, branch_b, 0.8)):
        for indicator in scored:
            value = f"{float(indicator['max_score']) * share:.2f}"
            cell = {"branch": branch.pk, "indicator": indicator["id"], "score": value, "note": "按材料评分"}
            response = client.post("/api/indicator-scores/cell/", cell, format="json")
            assert response.status_code == 200, response.content
    cell = {"branch": branch_b.pk, "indicator": scored[0]["id"], "score": "1"}
    assert organ_a.post("/api/indicator-scores/cell/", cell, format="json").status_code == 404
    too_high = {"branch": branch_a.pk, "indicator": scored[0]["id"], "score": "999"}
    refused = organ_a.post("/api/indicator-scores/cell/", too_high, format="json")
    assert refused.status_code == 400
    assert "须在" in refused.json()["detail"][0]

    # The branch gives its self-score; a 加分 is recorded.
    self_scored = [i for i in scored if i["allow_self_score"]]
    entries = [{"indicator": i["id"], "self_score": i["max_score"]} for i in self_scored]
    response = api_for(secretary_of_branch_a).post(
        "/api/indicator-scores/self/", {"branch": branch_a.pk, "year": YEAR, "entries": entries}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"changed": len(self_scored)}
    bonus = {"branch": branch_a2.pk, "year": YEAR, "kind": "bonus", "name": "市级表彰", "points": "2", "note": "文件"}
    assert organ_a.post("/api/adjustments/", bonus, format="json").status_code == 201

    # The 工委 computes the run (the eager Celery task runs on commit) and publishes it.
    with django_capture_on_commit_callbacks(execute=True):
        queued = gongwei.post("/api/rating-runs/compute/", {"year": YEAR}, format="json")
    assert queued.status_code == 202, queued.content
    run_id = queued.json()["id"]
    run = gongwei.get(f"/api/rating-runs/{run_id}/").json()
    assert run["status"] == "draft"
    assert run["n_branches"] == 3
    assert organ_a.get(f"/api/rating-runs/{run_id}/").status_code == 404  # not published yet
    assert organ_a.get(f"/api/rating-results/?run={run_id}").json()["count"] == 0
    published = gongwei.post(f"/api/rating-runs/{run_id}/publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    again = gongwei.post(f"/api/rating-runs/{run_id}/publish/")
    assert again.status_code == 409
    assert "只有待发布的评定可以发布" in again.json()["detail"]

    # Results: each 机关党委 its organ, a secretary the own branch, a member nothing.
    def names(client):
        response = client.get(f"/api/rating-results/?year={YEAR}&ordering=rank")
        assert response.status_code == 200
        return [row["branch_name"] for row in response.json()["results"]]

    assert names(organ_a) == [branch_a.name, branch_a2.name]
    assert names(organ_b) == [branch_b.name]
    assert names(api_for(secretary_of_branch_a)) == [branch_a.name]
    assert names(api_for(member_user)) == []
    assert len(names(gongwei)) == 3
    detail = organ_a.get(f"/api/rating-runs/{run_id}/").json()
    assert detail["distributions"]["total"] == 2  # the organ's own share of the run

    # The 机关党委 exports its scorecards; the job runs on commit; the file opens.
    with django_capture_on_commit_callbacks(execute=True):
        job = organ_a.post("/api/scorecard-exports/", {"run": run_id}, format="json")
    assert job.status_code == 202, job.content
    export_id = job.json()["id"]
    status = organ_a.get(f"/api/scorecard-exports/{export_id}/").json()
    assert status["status"] == "done", status
    assert status["progress"] == 100
    assert organ_b.get(f"/api/scorecard-exports/{export_id}/").status_code == 404
    download = organ_a.get(f"/api/scorecard-exports/{export_id}/download/")
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    summary = list(workbook["汇总"].iter_rows(values_only=True))
    text = " ".join(str(cell) for row in summary for cell in row if cell is not None)
    assert branch_a.name in text and branch_a2.name in text
    assert branch_b.name not in text
    assert organ_b.get(f"/api/scorecard-exports/{export_id}/download/").status_code == 404
    refused = organ_a.post(f"/api/scorecard-exports/{export_id}/retry/")
    assert refused.status_code == 400
    assert "只有生成失败" in refused.json()["detail"][0]


def test_compute_without_a_scheme_is_refused_in_chinese(gongwei_staff, branch_a):
    response = api_for(gongwei_staff).post("/api/rating-runs/compute/", {"year": YEAR}, format="json")
    assert response.status_code == 400  # the user can fix it (set up a scheme); not a state conflict
    assert "尚未设置考核方案" in response.json()["detail"][0]


def test_compute_input_is_checked_field_by_field(gongwei_staff):
    response = api_for(gongwei_staff).post("/api/rating-runs/compute/", {"year": "abc"}, format="json")
    assert response.status_code == 400
    assert "year" in response.json()
