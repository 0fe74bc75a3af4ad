"""Backup and restore of everything the portal holds: the database and the uploaded files.

A backup is a directory: `db.dump` (pg_dump custom format; `db.sqlite3` on SQLite), `media.tar.gz`
(every uploaded file) and `manifest.json` (row counts per table and each file's SHA-256). A restore
goes into an empty database and media folder only, then checks every count and every file against
the manifest, so a backup that cannot give everything back is found at restore time, not later.
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

DUMP, SQLITE, MEDIA, MANIFEST = "db.dump", "db.sqlite3", "media.tar.gz", "manifest.json"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, in Chinese."""


@dataclass(frozen=True)
class Report:
    tables: int
    rows: int
    files: int


def _db() -> dict:
    return settings.DATABASES["default"]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pg_env() -> dict:
    db = _db()
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args() -> list[str]:
    db = _db()
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def row_counts() -> dict[str, int]:
    """Rows in every table the project's models use (history tables included)."""
    counts = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.managed and table in existing and table not in counts:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                counts[table] = cursor.fetchone()[0]
    return dict(sorted(counts.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): _sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def backup(output: Path) -> Report:
    """Write a backup of the database and the uploaded files into `output` (created, must be empty)."""
    output.mkdir(parents=True, exist_ok=True)
    if any(output.iterdir()):
        raise BackupError(f"备份目录不是空的：{output}")
    counts = row_counts()
    if _is_postgres():
        try:
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *_pg_args(),
                 "--file", str(output / DUMP), str(_db()["NAME"])],
                env=_pg_env(), check=True, capture_output=True, text=True,
            )  # fmt: skip
        except FileNotFoundError as exc:
            raise BackupError("未找到 pg_dump，请安装 PostgreSQL 客户端。") from exc
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_dump 失败：{exc.stderr.strip()}") from exc
    else:
        with sqlite3.connect(str(_db()["NAME"])) as source, sqlite3.connect(str(output / SQLITE)) as target:
            source.backup(target)
    root = Path(settings.MEDIA_ROOT)
    files = media_files(root)
    with tarfile.open(output / MEDIA, "w:gz") as archive:
        for name in files:
            archive.add(root / name, arcname=name)
    manifest = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "engine": connection.vendor,
        "tables": counts,
        "files": files,
    }
    (output / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return Report(len(counts), sum(counts.values()), len(files))


def _require_empty_database() -> None:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise BackupError("目标数据库不是空的：恢复只能写入新建的空数据库，以免覆盖现有数据。")


def _extract(archive_path: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "r:gz") as archive:
        for member in archive.getmembers():
            target = root / member.name
            if target.exists():
                raise BackupError(f"上传文件目录中已有同名文件，未覆盖：{member.name}")
        # The "data" filter refuses absolute paths, links out of the folder and special files.
        archive.extractall(root, filter="data")


def restore(source: Path) -> Report:
    """Restore a backup into the (empty) configured database and media folder, then verify it."""
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"不是有效的备份目录（缺少 {MANIFEST}）：{source}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"备份来自 {manifest['engine']} 数据库，不能恢复到 {connection.vendor}。")
    if _is_postgres():
        _require_empty_database()
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *_pg_args(),
                 "--dbname", str(_db()["NAME"]), str(source / DUMP)],
                env=_pg_env(), check=True, capture_output=True, text=True,
            )  # fmt: skip
        except FileNotFoundError as exc:
            raise BackupError("未找到 pg_restore，请安装 PostgreSQL 客户端。") from exc
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_restore 失败：{exc.stderr.strip()}") from exc
    else:
        target = Path(str(_db()["NAME"]))
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"目标数据库文件已存在：{target}")
        connection.close()
        shutil.copyfile(source / SQLITE, target)
    root = Path(settings.MEDIA_ROOT)
    _extract(source / MEDIA, root)
    report = verify(manifest, root)
    return report


def verify(manifest: dict, root: Path) -> Report:
    counts = row_counts()
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        detail = "；".join(f"{t} 应有 {n} 行，实有 {got}" for t, (n, got) in list(wrong.items())[:5])
        raise BackupError(f"恢复后的数据与备份清单不符：{detail}")
    files = media_files(root)
    bad = [name for name, digest in manifest["files"].items() if files.get(name) != digest]
    if bad:
        raise BackupError(f"恢复后的文件与备份清单不符：{'、'.join(bad[:5])}")
    return Report(len(counts), sum(counts.values()), len(manifest["files"]))
