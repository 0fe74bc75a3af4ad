"""Every export of the member roster (page or API) is logged: who, when, which filter, how many rows.
The 工委 reads the log in the admin; nobody edits it there."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from maintenance.models import ExportKind, ExportLog, ExportSource
from tests.factories import MemberFactory, Role, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(branch_a, branch_b):
    return [MemberFactory(branch=branch_a) for _ in range(3)] + [MemberFactory(branch=branch_b)]


def test_roster_export_page_is_logged(client_for, organ_staff_a, branch_a, members):
    response = client_for(organ_staff_a).get(reverse("branches:roster_export"), {"branch": branch_a.pk})
    assert response.status_code == 200

    log = ExportLog.objects.get()
    assert log.user == organ_staff_a and log.kind == ExportKind.ROSTER and log.source == ExportSource.PAGE
    assert log.filters == {"branch": str(branch_a.pk)}
    assert log.row_count == 3
    assert log.full_id_numbers is False  # a 机关党委 sees masked ID numbers


def test_roster_export_by_api_token_is_logged(organ_staff_a, members):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=organ_staff_a).key}")

    response = client.get("/api/members/", {"format": "xlsx"})

    assert response.status_code == 200
    log = ExportLog.objects.get()
    assert (log.user, log.source, log.row_count, log.filters) == (organ_staff_a, ExportSource.API, 3, {})


def test_plain_api_list_and_refused_export_are_not_logged(client_for, organ_staff_a, member_user, members):
    client = APIClient()
    client.force_login(organ_staff_a)
    assert client.get("/api/members/").status_code == 200  # JSON list: shown, not exported
    assert client_for(member_user).get(reverse("branches:roster_export")).status_code == 403
    assert not ExportLog.objects.exists()


def test_gongwei_reads_the_log_in_the_admin_and_cannot_change_it(client, gongwei_staff, organ_staff_a, members):
    client.force_login(organ_staff_a)
    client.get(reverse("branches:roster_export"))
    log = ExportLog.objects.get()
    gongwei_staff.is_staff = True
    gongwei_staff.save()
    client.force_login(gongwei_staff)

    listing = client.get(reverse("admin:maintenance_exportlog_changelist"))
    assert listing.status_code == 200 and organ_staff_a.full_name in listing.content.decode()
    assert client.get(reverse("admin:maintenance_exportlog_change", args=[log.pk])).status_code == 200
    assert client.get(reverse("admin:maintenance_exportlog_add")).status_code == 403
    assert client.post(reverse("admin:maintenance_exportlog_delete", args=[log.pk]), {"post": "yes"}).status_code == 403
    assert ExportLog.objects.filter(pk=log.pk).exists()


def test_other_admin_staff_do_not_see_the_log(client, organ_a):
    clerk = UserFactory(username="clerk", is_staff=True)
    grant(clerk, Role.ORGAN, organ=organ_a)
    client.force_login(clerk)
    assert client.get(reverse("admin:maintenance_exportlog_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("url_name", "kind"),
    [
        ("assessments:report_export", ExportKind.DUTY_REPORTS),
        ("assessments:problem_export", ExportKind.PROBLEMS),
        ("projects:project_export", ExportKind.PROJECTS),
    ],
)
def test_every_list_export_with_names_of_people_is_logged(client_for, organ_staff_a, members, url_name, kind):
    response = client_for(organ_staff_a).get(reverse(url_name))
    assert response.status_code == 200
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.source) == (organ_staff_a, kind, ExportSource.PAGE)


def test_a_scorecard_download_is_logged_with_its_rows(client_for, organ_staff_a, branch_a, settings, tmp_path):
    from django.core.files.base import ContentFile

    from assessments.choices import JobStatus, RunStatus
    from assessments.models import ScorecardExport
    from tests.assessments.factories import RatingResultFactory, RatingRunFactory

    settings.MEDIA_ROOT = str(tmp_path)
    run = RatingRunFactory(status=RunStatus.PUBLISHED)
    RatingResultFactory(run=run, branch=branch_a)
    export = ScorecardExport.objects.create(
        run=run, organ=branch_a.organ, token="t" * 32, status=JobStatus.DONE, requested_by=organ_staff_a
    )
    export.file.save("x.xlsx", ContentFile(b"PK"), save=True)
    response = client_for(organ_staff_a).get(reverse("assessments:scorecard_download", args=[export.pk]))
    assert response.status_code == 200
    log = ExportLog.objects.get()
    assert (log.kind, log.row_count) == (ExportKind.SCORECARDS, 1)
