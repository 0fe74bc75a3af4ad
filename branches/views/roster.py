"""Roster in Excel: the template, the export of the member list, and upload → preview → confirm."""

import datetime
import re
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.excel import XLSX_CONTENT_TYPE, xlsx_attachment
from core.uploads import upload_limit_mb

from .. import roster
from ..access import writable_branches
from ..permissions import ROSTER_FILES

UPLOAD_DIR = "roster-imports"
SESSION_KEY = "roster_import"
# Uploads that were previewed but never confirmed or cancelled are removed after this.
STALE_AFTER = datetime.timedelta(days=1)
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="名册文件",
        help_text="请上传按模板填写的 Excel 文件（.xlsx）。",
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
    )


def _require_roster_access(user) -> None:
    ROSTER_FILES.require(user)


def _crumbs(*extra) -> list[tuple]:
    return [("党员名册", reverse("branches:member_list")), *extra]


def _upload_path(token: str) -> str:
    return f"{UPLOAD_DIR}/{token}.xlsx"


def _discard(token: str | None) -> None:
    if token and _TOKEN_RE.match(token) and default_storage.exists(_upload_path(token)):
        default_storage.delete(_upload_path(token))


def _purge_stale_uploads() -> None:
    try:
        _, files = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - STALE_AFTER
    for name in files:
        path = f"{UPLOAD_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            pass  # removed by a concurrent request


def _pending(request: HttpRequest) -> dict | None:
    pending = request.session.get(SESSION_KEY)
    if not pending or not _TOKEN_RE.match(pending.get("token", "")):
        return None
    return pending


def _render_preview(request: HttpRequest, preview: roster.RosterPreview, pending: dict) -> HttpResponse:
    return render(
        request,
        "branches/roster_preview.html",
        {
            "nav": "members",
            "preview": preview,
            "token": pending["token"],
            "filename": pending["filename"],
            "can_confirm": not preview.has_errors and (preview.n_create + preview.n_update) > 0,
            "breadcrumbs": _crumbs(("导入名册", reverse("branches:roster_import")), ("预览", None)),
        },
    )


@login_required
@require_GET
def roster_template(request: HttpRequest) -> HttpResponse:
    _require_roster_access(request.user)
    content = roster.build_template(branches=writable_branches(request.user).order_by("organ__sort_order", "name"))
    return xlsx_attachment(content, "党员名册导入模板.xlsx", "roster-template.xlsx")


@login_required
@require_GET
def roster_export(request: HttpRequest) -> HttpResponse:
    return roster.export_response(request)


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    """Upload a roster; it is checked and previewed, and kept until the user confirms or cancels."""
    _require_roster_access(request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = roster.parse_roster(upload, user=request.user)
        except roster.RosterFileError as exc:
            form.add_error("file", str(exc))
        else:
            previous = _pending(request)
            if previous:
                _discard(previous["token"])
            _purge_stale_uploads()
            token = uuid.uuid4().hex
            upload.seek(0)
            default_storage.save(_upload_path(token), upload)
            pending = {"token": token, "filename": upload.name}
            request.session[SESSION_KEY] = pending
            return _render_preview(request, preview, pending)
    return render(
        request,
        "branches/roster_import.html",
        {
            "nav": "members",
            "form": form,
            "max_mb": upload_limit_mb(),
            "max_rows": roster.MAX_ROWS,
            "breadcrumbs": _crumbs(("导入名册", None)),
        },
    )


@login_required
@require_POST
def roster_confirm(request: HttpRequest) -> HttpResponse:
    """Check the kept file again (the roster may have changed since the preview) and import it."""
    _require_roster_access(request.user)
    pending = _pending(request)
    if pending is None or request.POST.get("token") != pending["token"]:
        messages.error(request, "待导入的文件已失效或已被新的上传替换，请重新上传。")
        return redirect("branches:roster_import")
    path = _upload_path(pending["token"])
    if not default_storage.exists(path):
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "待导入的文件已失效，请重新上传。")
        return redirect("branches:roster_import")
    try:
        with default_storage.open(path, "rb") as file:
            preview = roster.parse_roster(file, user=request.user)
            if preview.has_errors:
                return _render_preview(request, preview, pending)
            result = roster.import_roster(preview, user=request.user)
    except (roster.RosterFileError, roster.RosterImportError) as exc:
        messages.error(request, str(exc))
        return redirect("branches:roster_import")
    _discard(pending["token"])
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"名册已导入：{result}。")
    return redirect("branches:member_list")


@login_required
@require_POST
def roster_cancel(request: HttpRequest) -> HttpResponse:
    _require_roster_access(request.user)
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        _discard(pending.get("token"))
    messages.info(request, "已取消导入，上传的文件已删除。")
    return redirect("branches:roster_import")
