"""One family of errors: every app's refusal is a `DomainError`, and the pages and the API answer it alike."""

import pytest

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
