"""Backup and restore: a backup restored into an empty database gives back every record and file."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from branches.choices import MeetingKind
from branches.models import Meeting, MeetingAttachment
from maintenance.backup import MANIFEST, row_counts
from tests.factories import MemberFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="备份恢复测试需要 PostgreSQL（CI 中已设置 DATABASE_URL）。",
    ),
]


def _admin_connection():
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"] or None, port=db["PORT"] or None
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def empty_database():
    """A new, empty PostgreSQL database beside the test one; dropped afterwards."""
    name = f"partybuild_restore_{uuid.uuid4().hex[:10]}"
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    yield name, url
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_a_restore_into_an_empty_database_gives_back_every_record_and_file(tmp_path, settings, empty_database):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    member = MemberFactory(name="李明")
    author = UserFactory()
    meeting = Meeting.objects.create(
        branch=member.branch, kind=MeetingKind.GENERAL, held_on="2026-03-01", topic="学习会", recorded_by=author
    )
    attachment = MeetingAttachment(meeting=meeting)
    attachment.token, attachment.original_name = "t" * 32, "签到表.pdf"
    attachment.content_type, attachment.size, attachment.sha256 = "application/pdf", 9, "x"
    attachment.uploaded_by = author
    attachment.file.save("签到表.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    before = row_counts()

    call_command("backup", "--output", str(tmp_path / "backup"))
    assert (tmp_path / "backup" / MANIFEST).exists()

    name, url = empty_database
    restored_media = tmp_path / "restored-media"
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(restored_media)}
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "backup")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "与备份一致" in result.stdout

    # Checked independently of the command's own verification: every table, row for row count.
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=name, user=db["USER"], password=db["PASSWORD"], host=db["HOST"] or None)
    try:
        with conn.cursor() as cursor:
            for table, n in before.items():
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                assert cursor.fetchone()[0] == n, table
            cursor.execute('SELECT name FROM "branches_member"')
            assert [row[0] for row in cursor.fetchall()] == ["李明"]
    finally:
        conn.close()
    assert (restored_media / attachment.file.name).read_bytes() == b"%PDF-1.4\n"


@pytest.mark.django_db(transaction=True)
def test_a_restore_never_overwrites_a_database_in_use(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    MemberFactory()
    call_command("backup", "--output", str(tmp_path / "backup"))
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(tmp_path / "backup"))
    assert connection.vendor == "postgresql"


def test_a_backup_refuses_a_folder_that_is_not_empty(tmp_path, db):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="备份目录不是空的"):
        call_command("backup", "--output", str(tmp_path))
