"""Uploaded files (project evidence, meeting attachments): checked by content, stored, served.

A file is accepted only when its bytes are one of the known kinds (images, PDF, Office) and its
extension names that same kind: an HTML page or a program renamed to `.pdf` is refused. The
type served back on download is the one found here, never the one the browser sent.
"""

import hashlib
import os
import re
import secrets
import struct
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models
from django.http import FileResponse, Http404, HttpResponse

from core.errors import DomainError
from core.excel import content_disposition

MAX_FILES_PER_REPORT = 10
MB = 1024 * 1024
# [Content_Types].xml of a real Office file is a few KB; a large one is not worth parsing.
MAX_CONTENT_TYPES_BYTES = 256 * 1024
MAX_NAME_LENGTH = 120
_CHUNK = 64 * 1024

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    "jpeg": Kind("JPEG 图片", "image/jpeg", (".jpg", ".jpeg")),
    "png": Kind("PNG 图片", "image/png", (".png",)),
    "gif": Kind("GIF 图片", "image/gif", (".gif",)),
    "webp": Kind("WebP 图片", "image/webp", (".webp",)),
    "pdf": Kind("PDF 文档", "application/pdf", (".pdf",)),
    "docx": Kind("Word 文档", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": Kind("Excel 表格", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "pptx": Kind(
        "PowerPoint 演示文稿", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
    ),
    # Word and Excel 97–2003 share one container format; its magic cannot tell them apart.
    "ole2": Kind("Office 97–2003 文档", "application/octet-stream", (".doc", ".xls")),
}
_OLE2_TYPES = {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}
ALLOWED_EXTENSIONS = tuple(ext for kind in KINDS.values() for ext in kind.extensions)
ACCEPT_ATTR = ",".join(ALLOWED_EXTENSIONS)
ALLOWED_LABEL = "图片（JPG、PNG、GIF、WebP）、PDF、Word、Excel、PowerPoint"


class UploadRejected(DomainError):
    """An upload is not acceptable; the message names the file and is shown to the user."""


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, with what will be stored about it."""

    upload: object
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def clean_filename(raw: str) -> str:
    """The name to show and to offer on download: no path, no control or reserved characters."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip().strip(".").strip()
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if not stem:
        stem = "佐证材料"
    return stem[: MAX_NAME_LENGTH - len(ext)] + ext


def _read_head(upload, n: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head


def _ooxml_kind(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                return None
            root = ElementTree.fromstring(archive.read(info))
    except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return None
    except (ParseError, DefusedXmlException):
        return None
    finally:
        upload.seek(0)
    kinds = {
        _OOXML_MAIN[el.get("ContentType")]
        for el in root
        if el.tag.endswith("}Override") and el.get("ContentType") in _OOXML_MAIN
    }
    # Macro-enabled files (.docm, .xlsm) declare other main types and fall through as unknown.
    return kinds.pop() if len(kinds) == 1 else None


def _is_compound_file(head: bytes) -> bool:
    """Office 97–2003: the compound-file magic, little-endian marker and a legal sector size."""
    if len(head) < 32 or not head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return False
    byte_order, sector_shift = struct.unpack_from("<HH", head, 28)
    return byte_order == 0xFFFE and sector_shift in (9, 12)


def sniff(upload) -> str | None:
    """The kind of file the bytes say this is, or None when it is none we accept."""
    head = _read_head(upload, 32)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if _is_compound_file(head):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(upload)
    return None


def _digest(upload) -> str:
    upload.seek(0)
    sha = hashlib.sha256()
    for chunk in iter(lambda: upload.read(_CHUNK), b""):
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def upload_limit_mb(rule_mb: int | None = None) -> int:
    """The size limit of one uploaded file in MB, as the validator enforces it and every form and page states it:
    the year's rule for that kind of file (佐证材料, 会议附件), never above what the server takes (MAX_UPLOAD_BYTES,
    which alone limits a roster workbook)."""
    ceiling = settings.MAX_UPLOAD_BYTES // MB
    return ceiling if rule_mb is None else min(rule_mb, ceiling)


def validate_rule_mb(value: int | None) -> None:
    """A year rule's file limit may not promise more than the server takes: the rules page would say one thing
    and the upload form another."""
    ceiling = upload_limit_mb()
    if value is not None and value > ceiling:
        raise ValidationError(f"不能超过服务器允许的单个文件上限 {ceiling} MB。")


def check_upload(upload, *, max_bytes: int) -> CheckedFile:
    """Accept one upload or raise UploadRejected with a message naming it."""
    name = clean_filename(getattr(upload, "name", ""))
    size = upload.size
    if size == 0:
        raise UploadRejected(f"文件“{name}”是空文件，请重新选择。")
    if size > max_bytes:
        raise UploadRejected(
            f"文件“{name}”大小为 {size / 1024 / 1024:.1f} MB，超过单个文件 {max_bytes // MB} MB 的上限。"
        )
    ext = os.path.splitext(name)[1]
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected(f"文件“{name}”的类型不允许上传，只接受{ALLOWED_LABEL}。")
    kind = sniff(upload)
    if kind is None:
        raise UploadRejected(f"文件“{name}”的内容不是可接受的图片、PDF 或 Office 文档，可能已损坏或被改了扩展名。")
    if ext not in KINDS[kind].extensions:
        raise UploadRejected(f"文件“{name}”的扩展名与实际内容（{KINDS[kind].label}）不符，请使用原始文件上传。")
    content_type = _OLE2_TYPES[ext] if kind == "ole2" else KINDS[kind].content_type
    return CheckedFile(
        upload=upload, name=name, kind=kind, content_type=content_type, size=size, sha256=_digest(upload)
    )


def check_uploads(uploads, *, max_bytes: int) -> list[CheckedFile]:
    """Check every file first: one bad file refuses the whole batch, so nothing half-arrives."""
    uploads = list(uploads)
    if len(uploads) > MAX_FILES_PER_REPORT:
        raise UploadRejected(f"每次最多上传 {MAX_FILES_PER_REPORT} 个文件。")
    return [check_upload(upload, max_bytes=max_bytes) for upload in uploads]


# --- storing and serving ----------------------------------------------------------------------


class StoredFile(models.Model):
    """What every stored upload keeps: a random token (also its storage name), the name the user
    gave it, the type found by `sniff`, size, digest and who uploaded it when.

    Subclasses add their owner and a `file` field whose `upload_to` uses the token.
    """

    token = models.CharField(max_length=40, unique=True, editable=False)
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    # Shown in the ASCII fallback file name of downloads ("evidence-12.pdf").
    download_prefix = "file"

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    def store(self, item: "CheckedFile", *, by) -> str:
        """Write a checked upload under a fresh token and save the row; returns the storage name,
        so that the caller can remove the file if its transaction does not commit."""
        self.token = secrets.token_hex(16)
        self.original_name, self.content_type = item.name, item.content_type
        self.size, self.sha256, self.uploaded_by = item.size, item.sha256, by
        item.upload.seek(0)
        self.file.save(item.name, item.upload, save=False)
        try:
            self.save()
        except BaseException:
            # The row failed after the file was written; the caller never learns this name.
            discard_files([self.file.name])
            raise
        return self.file.name

    def download(self) -> HttpResponse:
        """The file as an attachment that no browser renders or sniffs in the portal's origin.

        Called only after the caller's permission check. With `PROTECTED_MEDIA_REDIRECT` set (behind
        nginx in production), Django answers with headers only and nginx sends the bytes from an
        `internal` location that no client can request directly.
        """
        if settings.PROTECTED_MEDIA_REDIRECT:
            if not self.file.storage.exists(self.file.name):
                raise Http404("文件已不存在。")
            response = HttpResponse(content_type=self.content_type)
            response["X-Accel-Redirect"] = settings.PROTECTED_MEDIA_REDIRECT + quote(self.file.name)
        else:
            try:
                handle = self.file.open("rb")
            except FileNotFoundError as exc:
                raise Http404("文件已不存在。") from exc
            response = FileResponse(handle, content_type=self.content_type)
        ext = self.original_name.rsplit(".", 1)[-1].lower() if "." in self.original_name else "bin"
        response["Content-Disposition"] = content_disposition(
            self.original_name, f"{self.download_prefix}-{self.pk}.{quote(ext)}"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


def discard_files(names: Iterable[str]) -> None:
    """Remove stored files whose rows did not survive (rolled back or deleted)."""
    for name in names:
        default_storage.delete(name)
