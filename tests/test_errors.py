"""One family of errors: every app's refusal is a `DomainError`, and the pages and the API answer it alike."""

import io
import logging
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.test import APIClient

from accounts.services import AccountError
from assessments import ledger, ratings, reports
from assessments.appraisal import AppraisalError
from assessments.points import PointsError
from assessments.schemes import SchemeError
from assessments.scorecards import ScorecardError
from assessments.scores import ScoreError
from assessments.secretary import SecretaryReportError
from branches.meetings import MeetingError
from branches.orglife import OrgLifeError
from branches.roster import RosterFileError, RosterImportError
from branches.services import OrganisationError
from core.api import exception_handler
from core.errors import DomainError, IllegalTransition, Refused, status_for
from core.uploads import UploadRejected
from projects import services as project_services

APP_ERRORS = [
    AccountError, AppraisalError, ledger.LedgerError, PointsError, ratings.RatingError, reports.ReportError,
    SchemeError, ScorecardError, ScoreError, SecretaryReportError, MeetingError, OrgLifeError, RosterFileError,
    RosterImportError, OrganisationError, UploadRejected, project_services.ProjectError,
]  # fmt: skip


@pytest.mark.parametrize("error", APP_ERRORS, ids=lambda e: e.__name__)
def test_every_app_error_is_a_domain_error_and_answers_400(error):
    assert issubclass(error, DomainError)
    response = exception_handler(error("请填写原因。"), {})
    assert response.status_code == 400
    assert response.data == {"detail": ["请填写原因。"]}
    assert status_for(error("x")) == 200


def test_there_is_one_illegal_transition_and_it_answers_409():
    # Defined once; the apps raise (and re-export) the foundation's class.
    assert project_services.IllegalTransition is ledger.IllegalTransition is IllegalTransition
    assert issubclass(ratings.RunConflict, IllegalTransition) and issubclass(ratings.RunConflict, ratings.RatingError)
    for error in (IllegalTransition("项目已备案。"), ratings.RunConflict("正在计算")):
        assert exception_handler(error, {}).status_code == 409
        assert status_for(error) == 409
    assert exception_handler(IllegalTransition("项目已备案。"), {}).data == {"detail": "项目已备案。"}


def test_a_refusal_answers_403_in_both():
    response = exception_handler(Refused("只有工委可以备案。"), {})
    assert response.status_code == 403 and response.data == {"detail": "只有工委可以备案。"}
    assert status_for(Refused("x")) == 403


# --- What people and API clients see, with DEBUG on (make run) and off --------------------------------------

API_FAILURES = [
    exceptions.ParseError("JSON parse error - Expecting property name enclosed in double quotes"),
    exceptions.AuthenticationFailed(),
    exceptions.NotAuthenticated(),
    exceptions.PermissionDenied(),
    exceptions.NotFound(),
    exceptions.MethodNotAllowed("DELETE"),
    exceptions.NotAcceptable(),
    exceptions.UnsupportedMediaType("text/x-unknown"),
    exceptions.Throttled(wait=5),
    Http404("No Project matches the given query."),
    PermissionDenied(),
]


def chinese(text: str) -> bool:
    """Written in Chinese: names in quotes (“DELETE”) and header or format names may stay as they are."""
    words = re.sub(r"“[^”]*”|JSON|HTTP|Accept", "", text)
    return any("\u4e00" <= ch <= "\u9fff" for ch in text) and not re.search(r"[A-Za-z]{4,}", words)


@pytest.mark.parametrize("exc", API_FAILURES, ids=lambda e: type(e).__name__)
def test_every_api_failure_answers_in_chinese(exc):
    response = exception_handler(exc, {})
    assert chinese(str(response.data["detail"])), response.data


def test_a_views_own_chinese_404_reason_is_kept():
    assert exception_handler(Http404("导出记录不存在。"), {}).data == {"detail": "导出记录不存在。"}


@pytest.fixture(params=[False, True], ids=["DEBUG off", "DEBUG on"])
def debug(request, settings):
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = "tests.error_urls"
    return request.param


@pytest.mark.django_db
def test_a_missing_page_and_an_out_of_scope_link_show_the_portals_404(
    debug, client_for, secretary_of_branch_a, branch_b
):
    client = client_for(secretary_of_branch_a)
    for url in ("/no-such-page/", reverse("branches:branch_detail", args=[branch_b.pk])):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        page = response.content.decode()
        assert response.status_code == 404
        assert "页面不存在" in page and "返回首页" in page
        assert "Page not found" not in page and "URLconf" not in page


@pytest.mark.django_db
def test_a_refused_page_shows_the_portals_403(debug, client_for, member_user):
    response = client_for(member_user).get(reverse("branches:roster_export"))
    assert response.status_code == 403 and "无权访问" in response.content.decode()


@pytest.mark.django_db
def test_a_server_error_shows_the_portals_500_and_logs_the_traceback(debug, secretary_of_branch_a, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(secretary_of_branch_a)

    response = client.get("/boom/")

    page = response.content.decode()
    assert response.status_code == 500 and "系统暂时出现错误" in page and "Traceback" not in page
    (logged,) = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert logged.exc_info and "a defect in a page" in str(logged.exc_info[1])
    api = client.get("/api/boom/")
    assert api.status_code == 500 and chinese(api.json()["detail"])


@pytest.mark.django_db
def test_every_api_error_is_chinese_json(debug, secretary_of_branch_a):
    anonymous = APIClient()
    client = APIClient()
    client.force_authenticate(secretary_of_branch_a)

    answers = {
        "anonymous": anonymous.get("/api/projects/"),
        "no such record": client.get("/api/projects/999999/"),
        "no such address": client.get("/api/no-such-endpoint/"),
        "not a number": client.get("/api/projects/abc/"),
        "wrong method": client.delete("/api/projects/"),
        "broken JSON": client.post("/api/projects/", "{bad", content_type="application/json"),
        "no such page": client.get("/api/projects/?page=999"),
        "english browser": client.get("/api/projects/999999/", HTTP_ACCEPT_LANGUAGE="en-US,en"),
    }

    assert {name: r.status_code for name, r in answers.items()} == {
        "anonymous": 401, "no such record": 404, "no such address": 404, "not a number": 404,
        "wrong method": 405, "broken JSON": 400, "no such page": 404, "english browser": 404,
    }  # fmt: skip
    for name, response in answers.items():
        assert response["Content-Type"].startswith("application/json"), name
        assert chinese(response.json()["detail"]), (name, response.json())
    assert answers["no such record"].json() == {"detail": "记录不存在，或不在您的可见范围内。"}
    assert "接口地址不存在" in answers["no such address"].content.decode()  # readable, as DRF's answers are
    fields = client.post("/api/projects/", {"title": ""}, format="json").json()
    assert all(chinese(message) for messages in fields.values() for message in messages), fields


@pytest.mark.django_db
def test_a_throttled_api_client_is_told_in_chinese(debug):
    client = APIClient()
    answers = [client.post("/api/auth/token/", {"username": "nobody", "password": "x"}) for _ in range(12)]
    throttled = answers[-1]
    assert throttled.status_code == 429 and chinese(throttled.json()["detail"]), throttled.json()


@pytest.fixture
def console():
    """What the configured log handlers print, as one text (each stream handler redirected for the test)."""
    out = io.StringIO()
    loggers = [logging.root, *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    handlers = {
        h
        for lg in loggers
        for h in getattr(lg, "handlers", [])
        # pytest's own capture handlers are stream handlers too, but no part of the portal's configuration.
        if isinstance(h, logging.StreamHandler) and not type(h).__module__.startswith("_pytest")
    }
    saved = {h: h.setStream(out) for h in handlers}
    yield out
    for handler, stream in saved.items():
        handler.setStream(stream)


@pytest.mark.django_db
def test_a_refusal_is_logged_once_without_a_traceback(debug, client_for, member_user, console):
    client_for(member_user).get(reverse("branches:roster_export"))

    printed = console.getvalue()
    assert printed.count("Forbidden") == 1, printed
    assert "Traceback" not in printed


@pytest.mark.django_db
def test_a_server_error_is_logged_once_with_its_traceback(debug, console):
    Client(raise_request_exception=False).get("/boom/")

    printed = console.getvalue()
    assert printed.count("Internal Server Error: /boom/") == 1, printed
    assert "Traceback" in printed and "a defect in a page" in printed
