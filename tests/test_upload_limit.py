"""One upload limit, stated the same everywhere: the server's MAX_UPLOAD_BYTES limits a roster and caps the year
rules' limits for evidence and meeting attachments; what a form says is what its validator enforces, and the README,
.env.example, the settings and the year rules start from the same default."""

import re
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches.choices import MeetingKind
from branches.models import OrganisationRules
from projects.models import ProjectYearConfig
from projects.services import ensure_config
from tests.projects.factories import YEAR, MilestoneFactory, ProjectFactory
from tests.projects.test_acceptance import config_post

BASE_DIR = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
ORG_RULES = {
    "year": "2026", "min_full_members": "3", "committee_threshold": "7", "committee_min_size": "3",
    "committee_max_size": "5", "no_committee_max_size": "2", "max_members": "50", "term_years": "3",
    "max_attachment_mb": "20",
}  # fmt: skip
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_every_statement_of_the_default_limit_agrees():
    settings_default = re.search(
        r'"MAX_UPLOAD_BYTES", default=(\d+) \* 1024 \* 1024', (BASE_DIR / "partybuild/settings.py").read_text()
    )
    readme = re.search(r"`MAX_UPLOAD_BYTES`（默认 (\d+) MB）", (BASE_DIR / "README.md").read_text())
    env_example = re.search(r"^# MAX_UPLOAD_BYTES=(\d+)$", (BASE_DIR / ".env.example").read_text(), re.MULTILINE)

    mb = int(settings_default[1])
    assert int(readme[1]) == mb
    assert int(env_example[1]) == mb * MB
    assert ProjectYearConfig._meta.get_field("max_evidence_mb").default == mb
    assert OrganisationRules._meta.get_field("max_attachment_mb").default == mb


@pytest.fixture
def milestone(branch_a):
    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        yield MilestoneFactory(project=ProjectFactory(branch=branch_a, filed=True), title="完成窗口改造")


@pytest.mark.django_db
def test_the_evidence_form_states_the_limit_its_validator_enforces(
    settings, tmp_path, client_for, secretary_of_branch_a, milestone
):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MAX_UPLOAD_BYTES = 2 * MB  # below the year rule's 20 MB: the server's limit wins, on the form too
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:milestone_progress", args=[milestone.pk])

    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        assert "单个不超过 2 MB" in client.get(url).content.decode()
        big = SimpleUploadedFile("扫描件.pdf", PDF + b"0" * (2 * MB), content_type="application/pdf")
        refused = client.post(url, {"text": "完成一半", "percent": 40, "files": [big]})
        assert "超过单个文件 2 MB 的上限" in refused.content.decode()

        config = ensure_config(milestone.project.year)
        config.max_evidence_mb = 1  # a year rule below the server's limit is the limit
        config.save()
        assert "单个不超过 1 MB" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_meeting_form_and_the_roster_import_state_the_same_limit(
    settings, client_for, secretary_of_branch_a, gongwei_staff, branch_a
):
    settings.MAX_UPLOAD_BYTES = 3 * MB
    meeting_form = client_for(secretary_of_branch_a).get(
        reverse("branches:meeting_create"), {"branch": branch_a.pk, "kind": MeetingKind.GENERAL}
    )
    roster_page = client_for(gongwei_staff).get(reverse("branches:roster_import"))

    assert "单个不超过 3 MB" in meeting_form.content.decode()
    assert "文件不超过 3 MB" in roster_page.content.decode()


@pytest.mark.django_db
def test_a_year_rule_cannot_promise_more_than_the_server_takes(settings, client_for, gongwei_staff):
    settings.MAX_UPLOAD_BYTES = 20 * MB
    client = client_for(gongwei_staff)
    config = ensure_config(YEAR)
    refused = "不能超过服务器允许的单个文件上限 20 MB。"

    rules_post = config_post(config, [], max_evidence_mb="30")
    project_rules = client.post(reverse("projects:year_config", args=[YEAR]), rules_post)
    org_rules = client.post(reverse("branches:rules_create"), ORG_RULES | {"max_attachment_mb": "30"})

    assert refused in project_rules.content.decode() and refused in org_rules.content.decode()
    config.refresh_from_db()
    assert config.max_evidence_mb == 20 and not OrganisationRules.objects.filter(max_attachment_mb=30).exists()
