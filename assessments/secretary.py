"""书记述职评议: the branch secretary's year-end report and its evaluation.

draft (the branch committee writes the text and attaches files) → submitted → evaluated by the
机关党委 of the organ or the 工委 (好/较好/一般/差 with 评议意见). A submitted report may be
returned to draft with a reason. The grade feeds the `secretary_review` indicator.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.scope import scope_of
from branches.choices import CommitteePost
from branches.models import Branch, CommitteeMember, Member
from core.errors import DomainError
from core.uploads import (
    MAX_FILES_PER_REPORT,
    MB,
    CheckedFile,
    UploadRejected,
    check_uploads,
    discard_files,
    upload_limit_mb,
)
from core.workflow import Act, locked, record
from notifications.services import announce
from projects.services import config_for_year

from .choices import SecretaryGrade, SecretaryReportStatus
from .models import SecretaryReport, SecretaryReportAttachment
from .permissions import (
    EVALUATE_SECRETARY_REPORT,
    RETURN_SECRETARY_REPORT,
    SUBMIT_SECRETARY_REPORT,
    WRITE_SECRETARY_REPORT,
)

S = SecretaryReportStatus


class SecretaryReportError(DomainError):
    """The step is refused; the message is shown to the user."""


# --- Who may do what -------------------------------------------------------------------------


def can_write(user, branch: Branch) -> bool:
    """The report is the branch's own: its committee writes it, not the staff above."""
    return branch.pk in scope_of(user).branch_ids and branch.is_active


def can_evaluate(user, branch: Branch) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or branch.organ_id in scope.organ_ids


def current_secretary(branch: Branch) -> Member | None:
    """The secretary of the branch's newest committee term, if one is recorded."""
    seat = (
        CommitteeMember.objects.filter(term__branch=branch, post=CommitteePost.SECRETARY)
        .select_related("member")
        .order_by("-term__elected_on", "-term__pk")
        .first()
    )
    return seat.member if seat else None


def _reporter(branch: Branch, by) -> Member:
    """Who reports: the recorded secretary, else the writer themself when on the branch's roster."""
    secretary = current_secretary(branch)
    if secretary is not None:
        return secretary
    member_id = scope_of(by).member_id
    if member_id is not None:
        member = Member.objects.filter(pk=member_id, branch=branch).first()
        if member is not None:
            return member
    raise SecretaryReportError("支部届次中未登记书记，请先在支部页面登记支委会届次和书记。")


def _check_files(files: Iterable, year: int, already: int) -> list[CheckedFile]:
    files = list(files or ())
    if not files:
        return []
    if already + len(files) > MAX_FILES_PER_REPORT:
        raise SecretaryReportError(f"每份述职最多 {MAX_FILES_PER_REPORT} 个附件，已有 {already} 个。")
    try:
        return check_uploads(files, max_bytes=upload_limit_mb(config_for_year(year).max_evidence_mb) * MB)
    except UploadRejected as exc:
        raise SecretaryReportError(str(exc)) from exc


# --- Writing ---------------------------------------------------------------------------------


def save_draft(
    branch: Branch,
    year: int,
    *,
    text: str,
    files: Iterable = (),
    remove: Iterable[SecretaryReportAttachment] = (),
    by,
) -> SecretaryReport:
    """Write or correct the draft; uploads are checked by content before anything is stored."""
    WRITE_SECRETARY_REPORT.require(by, branch)
    text = (text or "").strip()
    stored: list[str] = []
    removed_names: list[str] = []
    try:
        with transaction.atomic():
            report = SecretaryReport.objects.filter(branch=branch, year=year).first()
            creating = report is None
            if creating:
                report = SecretaryReport(branch=branch, year=year, secretary=_reporter(branch, by), created_by=by)
            else:
                report = locked(report, "branch__organ")
                if report.status != S.DRAFT:
                    raise SecretaryReportError(f"述职{report.get_status_display()}，不能再修改。")
            remove = [] if creating else list(remove)
            if any(a.report_id != report.pk for a in remove):
                raise SecretaryReportError("要删除的附件不属于本述职。")
            already = 0 if creating else report.attachments.count() - len(remove)
            checked = _check_files(files, year, already)
            notes = []
            if checked:
                notes.append("上传附件：" + "、".join(item.name for item in checked))
            if remove:
                notes.append("删除附件：" + "、".join(a.original_name for a in remove))
            if creating or report.text != text or notes:
                # Saving an unchanged form leaves no empty entry in the history.
                report.text = text
                act = Act.DRAFT if creating else Act.EDIT
                record(report, by, act.because("；".join(notes)), None if creating else ["text"])
            for attachment in remove:
                removed_names.append(attachment.file.name)
                attachment.delete()
            for item in checked:
                stored.append(SecretaryReportAttachment(report=report).store(item, by=by))
            transaction.on_commit(lambda: discard_files(removed_names))
    except BaseException:
        # The rows rolled back; files written before the failure must go too.
        discard_files(stored)
        raise
    return report


@transaction.atomic
def submit(report: SecretaryReport, *, by) -> SecretaryReport:
    report = locked(report, "branch__organ")
    SUBMIT_SECRETARY_REPORT.require(by, report.branch)
    if report.status != S.DRAFT:
        raise SecretaryReportError(f"述职{report.get_status_display()}，不能再提交。")
    if not report.text.strip():
        raise SecretaryReportError("请先填写述职报告内容再提交。")
    report.status, report.submitted_at = S.SUBMITTED, timezone.now()
    record(report, by, Act.SUBMIT, ["status", "submitted_at"])
    announce(
        report,
        actor=by,
        recipients=selectors.organ_staff_users(report.branch.organ_id),
        title=f"【待评议】{report}",
        body=f"{report.branch.organ.display_short} {report.branch.name} 已提交{report.year}年度书记述职，请评议。",
    )
    return report


@transaction.atomic
def evaluate(report: SecretaryReport, *, grade: str, evaluation: str, by) -> SecretaryReport:
    report = locked(report, "branch__organ")
    EVALUATE_SECRETARY_REPORT.require(by, report.branch)
    if report.status != S.SUBMITTED:
        raise SecretaryReportError(f"述职当前为“{report.get_status_display()}”，只有待评议的述职可以评议。")
    if grade not in SecretaryGrade.values:
        raise SecretaryReportError("请选择评议等次。")
    evaluation = (evaluation or "").strip()
    if not evaluation:
        raise SecretaryReportError("请填写评议意见。")
    report.status, report.grade, report.evaluation = S.EVALUATED, grade, evaluation
    report.evaluated_by, report.evaluated_at = by, timezone.now()
    fields = ["status", "grade", "evaluation", "evaluated_by", "evaluated_at"]
    record(report, by, Act.EVALUATE.because(report.get_grade_display()), fields)
    announce(
        report,
        actor=by,
        recipients=selectors.branch_committee_users(report.branch_id),
        title=f"书记述职已评议：{report.get_grade_display()}",
        body=f"{report}的评议等次为“{report.get_grade_display()}”。\n评议意见：{evaluation}",
    )
    return report


@transaction.atomic
def return_report(report: SecretaryReport, *, reason: str, by) -> SecretaryReport:
    """Send a submitted report back to the branch to be completed."""
    report = locked(report, "branch__organ")
    RETURN_SECRETARY_REPORT.require(by, report.branch)
    if report.status != S.SUBMITTED:
        raise SecretaryReportError(f"述职当前为“{report.get_status_display()}”，只有待评议的述职可以退回。")
    reason = (reason or "").strip()
    if not reason:
        raise SecretaryReportError("请填写退回修改的原因。")
    report.status, report.submitted_at = S.DRAFT, None
    record(report, by, Act.RETURN.because(reason), ["status", "submitted_at"])
    announce(
        report,
        actor=by,
        recipients=selectors.branch_committee_users(report.branch_id),
        title=f"书记述职被退回修改：{report}",
        body=f"{report}被退回修改。\n原因：{reason}",
    )
    return report
