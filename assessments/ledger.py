"""The 问题整改台账 (problem ledger): one function per step, each atomic, checking role and state.

open → in progress → done (with a note on what was done) → verified by the organ's 机关党委 or the 工委.
A done or verified item can be reopened with a reason. Every status change is in the history with who,
when and why; the people concerned hear about it through notifications once the step commits.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, Case, Q, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.scope import scope_of
from branches.models import Branch, Member
from core.errors import DomainError, IllegalTransition
from core.workflow import Act, locked, record
from notifications.services import announce

from .choices import ProblemSource, ProblemStatus
from .models import Problem

S = ProblemStatus
WORKING = (S.OPEN, S.IN_PROGRESS)
CLOSED = (S.DONE, S.VERIFIED)
EDITABLE_FIELDS = ("source", "title", "description", "responsible", "measures", "deadline")


class LedgerError(DomainError):
    """The step is refused; the message is shown to the user."""


# --- Who may do what -------------------------------------------------------------------------


def can_work(user, problem: Problem) -> bool:
    """The branch's secretary and committee (and the staff above them) rectify the problem."""
    return scope_of(user).can_write_branch(problem.branch)


def can_verify(user, problem: Problem) -> bool:
    """Verification and reopening belong to the 机关党委 of the branch's organ and the 工委."""
    scope = scope_of(user)
    return scope.is_gongwei or problem.branch.organ_id in scope.organ_ids


def can_move_deadline(user, problem: Problem) -> bool:
    """A branch may reschedule what it found itself; postponing anything found above it needs the organ."""
    return can_verify(user, problem) or problem.source == ProblemSource.SELF


def is_overdue(problem: Problem, today: datetime.date) -> bool:
    return problem.status in WORKING and problem.deadline < today


# --- Input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemData:
    """What a person types in to open or edit a ledger item."""

    source: str
    title: str
    responsible: Member
    measures: str
    deadline: datetime.date
    description: str = ""


def _clean(data: ProblemData, branch: Branch) -> dict:
    title, measures = (data.title or "").strip(), (data.measures or "").strip()
    if data.source not in ProblemSource.values:
        raise LedgerError("请选择问题来源。")
    if not title:
        raise LedgerError("请填写问题。")
    if not measures:
        raise LedgerError("请填写整改措施。")
    if data.responsible is None or data.responsible.branch_id != branch.pk:
        raise LedgerError(f"整改责任人须是{branch.name}的党员。")
    if data.deadline is None:
        raise LedgerError("请填写整改时限。")
    return {
        "source": data.source,
        "title": title,
        "description": (data.description or "").strip(),
        "responsible": data.responsible,
        "measures": measures,
        "deadline": data.deadline,
    }


# --- Steps -----------------------------------------------------------------------------------


@transaction.atomic
def open_problem(branch: Branch, data: ProblemData, *, by, today: datetime.date | None = None) -> Problem:
    """Enter a problem found in supervision, assessment, 民主评议 or by the branch itself."""
    today = today or timezone.localdate()
    if not scope_of(by).can_write_branch(branch):
        raise PermissionDenied("您无权为该支部登记整改问题。")
    if not branch.is_active:
        raise LedgerError(f"{branch.name}已撤销，不能登记新的整改问题。")
    values = _clean(data, branch)
    if values["deadline"] < today:
        raise LedgerError("整改时限不能早于今天。")
    problem = Problem(branch=branch, created_by=by, status=S.OPEN, **values)
    problem._history_user = by
    problem._change_reason = Act.REGISTER
    problem.save()
    _announce_opened(problem, by)
    return problem


@transaction.atomic
def edit_problem(
    problem: Problem, data: ProblemData, *, by, reason: str = "", today: datetime.date | None = None
) -> Problem:
    """Change the item while it is being rectified; a new deadline needs a reason and, if later, the right."""
    today = today or timezone.localdate()
    problem = locked(problem, "branch__organ", "responsible")
    if not can_work(by, problem):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以修改该问题。")
    if problem.status not in WORKING:
        raise IllegalTransition(f"问题{problem.get_status_display()}，不能修改；如需继续整改，请先由上级退回重新整改。")
    values = _clean(data, problem.branch)
    reason = (reason or "").strip()
    why = ""
    if values["deadline"] != problem.deadline:
        if not reason:
            raise LedgerError("调整整改时限须填写调整原因。")
        if values["deadline"] > problem.deadline and not can_move_deadline(by, problem):
            raise LedgerError("上级发现的问题延期整改，须由机关党委或工委调整整改时限。")
        if values["deadline"] < today:
            raise LedgerError("整改时限不能早于今天。")
        why = f"整改时限由 {problem.deadline:%Y-%m-%d} 调整为 {values['deadline']:%Y-%m-%d}：{reason}"
    elif reason:
        why = reason
    changed = [name for name in EDITABLE_FIELDS if getattr(problem, name) != values[name]]
    if not changed:
        return problem
    for name in changed:
        setattr(problem, name, values[name])
    return record(problem, by, Act.EDIT.because(why), changed)


@transaction.atomic
def start(problem: Problem, *, by) -> Problem:
    problem = locked(problem, "branch__organ", "responsible")
    if not can_work(by, problem):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以推进整改。")
    if problem.status != S.OPEN:
        raise IllegalTransition(f"问题当前为“{problem.get_status_display()}”，不能开始整改。")
    problem.status = S.IN_PROGRESS
    return record(problem, by, Act.START_RECTIFYING, ["status"])


@transaction.atomic
def close(problem: Problem, *, note: str, by) -> Problem:
    """Report the rectification done; what was done must be written down for the verifier."""
    problem = locked(problem, "branch__organ", "responsible")
    if not can_work(by, problem):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以报告整改完成。")
    if problem.status not in WORKING:
        raise IllegalTransition(f"问题当前为“{problem.get_status_display()}”，不能报告整改完成。")
    note = (note or "").strip()
    if not note:
        raise LedgerError("请填写整改情况说明：做了什么、效果如何。")
    problem.status, problem.closing_note, problem.closed_at = S.DONE, note, timezone.now()
    record(problem, by, Act.RECTIFIED.because("提请核验"), ["status", "closing_note", "closed_at"])
    announce(
        problem,
        actor=by,
        recipients=selectors.organ_staff_users(problem.branch.organ_id),
        title=f"【待核验】{problem.branch.name}：{problem.title}",
        body=f"{problem.branch.organ.display_short} {problem.branch.name} 报告问题“{problem.title}”已整改完成，"
        f"请核验。\n整改情况：{note}",
    )
    return problem


@transaction.atomic
def verify(problem: Problem, *, by) -> Problem:
    """The 机关党委 or 工委 confirms the rectification: the item is closed (销号)."""
    problem = locked(problem, "branch__organ", "responsible")
    if not can_verify(by, problem):
        raise PermissionDenied("只有本机关党委或工委工作人员可以核验整改。")
    if problem.status != S.DONE:
        raise IllegalTransition(f"问题当前为“{problem.get_status_display()}”，只有已整改待核验的问题可以核验。")
    problem.status, problem.verified_by, problem.verified_at = S.VERIFIED, by, timezone.now()
    record(problem, by, Act.VERIFY, ["status", "verified_by", "verified_at"])
    announce(
        problem,
        actor=by,
        recipients=selectors.branch_committee_users(problem.branch_id),
        title=f"整改已核验销号：{problem.title}",
        body=f"{problem.branch.name}的问题“{problem.title}”整改已通过核验，已销号。",
    )
    return problem


@transaction.atomic
def reopen(
    problem: Problem,
    *,
    reason: str,
    by,
    deadline: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Problem:
    """Send a done or verified item back to rectification, with the reason (and, if given, a new deadline)."""
    today = today or timezone.localdate()
    problem = locked(problem, "branch__organ", "responsible")
    if not can_verify(by, problem):
        raise PermissionDenied("只有本机关党委或工委工作人员可以退回重新整改。")
    if problem.status not in CLOSED:
        raise IllegalTransition(f"问题当前为“{problem.get_status_display()}”，仍在整改中，无需退回。")
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError("请填写退回重新整改的原因。")
    if deadline is not None and deadline < today:
        raise LedgerError("新的整改时限不能早于今天。")
    fields = ["status", "closed_at", "verified_by", "verified_at"]
    why = f"重新整改，{reason}"
    if deadline is not None and deadline != problem.deadline:
        why += f"（整改时限由 {problem.deadline:%Y-%m-%d} 调整为 {deadline:%Y-%m-%d}）"
        problem.deadline = deadline
        fields.append("deadline")
    problem.status, problem.closed_at, problem.verified_by, problem.verified_at = S.IN_PROGRESS, None, None, None
    record(problem, by, Act.RETURN.because(why), fields)
    announce(
        problem,
        actor=by,
        recipients=selectors.branch_committee_users(problem.branch_id),
        title=f"问题退回重新整改：{problem.title}",
        body=f"{problem.branch.name}的问题“{problem.title}”被退回重新整改。\n原因：{reason}\n"
        f"整改时限：{problem.deadline:%Y-%m-%d}",
    )
    return problem


# --- Notices ---------------------------------------------------------------------------------


def problem_url(problem: Problem) -> str:
    return reverse("assessments:problem_detail", args=[problem.pk])


def _announce_opened(problem: Problem, actor) -> None:
    # A branch entering its own finding needs no message; a problem set by the organ or 工委 does.
    if problem.branch_id in scope_of(actor).branch_ids:
        return
    announce(
        problem,
        actor=actor,
        recipients=selectors.branch_committee_users(problem.branch_id),
        title=f"【整改】新的整改问题：{problem.title}",
        body=f"{problem.branch.name}有一项{problem.get_source_display()}的问题需整改：{problem.title}\n"
        f"整改措施：{problem.measures}\n整改时限：{problem.deadline:%Y-%m-%d}，责任人：{problem.responsible.name}",
    )


# --- how the ledger lists items (the page, its export and the API alike) ----------------------


def overdue_flag(today: datetime.date) -> Case:
    """True for an item still being worked on whose deadline has passed."""
    return Case(
        When(Q(status__in=WORKING, deadline__lt=today), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def in_ledger_order(queryset, today: datetime.date):
    """`is_overdue` annotated; what still needs rectifying first, the most pressing deadline on top."""
    working_first = Case(When(status__in=WORKING, then=Value(0)), default=Value(1))
    return queryset.annotate(is_overdue=overdue_flag(today), _rank=working_first).order_by("_rank", "deadline", "pk")


def problems_for(user):
    """The items a user may open: those of the branches they see, and any they answer for themselves."""
    visible = Problem.objects.visible_to(user)
    member_id = scope_of(user).member_id
    if member_id is not None:
        visible = visible | Problem.objects.filter(responsible_id=member_id)
    return visible


def get_problem_for_user(user, pk: int, *, write: bool = False) -> Problem:
    """404 outside the user's scope; 403 when the user may look but not rectify."""
    problem = get_object_or_404(
        problems_for(user).select_related("branch__organ", "responsible", "created_by", "verified_by"), pk=pk
    )
    if write and not can_work(user, problem):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以办理该问题。")
    return problem


def get_problem_for_verifier(user, pk: int) -> Problem:
    problem = get_problem_for_user(user, pk)
    if not can_verify(user, problem):
        raise PermissionDenied("只有本机关党委或工委工作人员可以核验或退回该问题。")
    return problem
