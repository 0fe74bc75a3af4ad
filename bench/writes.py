"""The write done before each "after a write" sample, through the portal's own service functions.

The secretary records a 党课 for their branch with `branches.meetings.record_meeting`, the function
the meeting form calls: a new meeting, and an attendance row for every member of the branch. It is
the write that changes the most figures (completion, the dashboard's heat map, the branch's and its
members' pages, study hours).

Each sample runs inside a transaction that is rolled back afterwards, so the database stays as it was
built. Work the portal defers to the commit (`transaction.on_commit`: e.g. forgetting cached figures)
would never run in a transaction that is rolled back; it is run right after the write instead, as a
commit would, except a Celery job's message (no message leaves the bench).
"""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass

BENCH_TOPIC = "性能测试：写后计时（回滚）"


@dataclass
class WriteContext:
    """Who writes and where: the demo secretary and their branch."""

    secretary: object
    branch: object
    today: datetime.date

    @classmethod
    def for_demo(cls, secretary, today: datetime.date) -> "WriteContext | None":
        from accounts.models import RoleAssignment
        from branches.models import Branch

        branch_id = (
            RoleAssignment.objects.filter(user=secretary, branch__isnull=False)
            .values_list("branch_id", flat=True)
            .first()
        )
        if branch_id is None:
            return None
        return cls(secretary, Branch.objects.get(pk=branch_id), today)


def record_lecture(ctx: WriteContext) -> str:
    """The secretary records today's 党课 for their branch, everyone present."""
    from branches.choices import MeetingKind
    from branches.meetings import record_meeting

    data = {
        "kind": MeetingKind.LECTURE,
        "party_group": None,
        "held_on": ctx.today,
        "topic": BENCH_TOPIC,
        "place": "党员活动室",
        "minutes": "",
        "hours": 0,
    }
    meeting = record_meeting(ctx.branch, data, None, by=ctx.secretary, today=ctx.today)
    return f"meeting {meeting.pk}"


def _is_job_message(func) -> bool:
    """A deferred Celery send (`RecordedJobTask.delay_on_commit`, `.delay`): not run by the bench."""
    inner = getattr(func, "func", func)
    name = getattr(inner, "__name__", "")
    return name in {"send_or_log", "delay", "apply_async"}


def run_deferred(since: int = 0) -> tuple[int, int]:
    """Run the work queued with `transaction.on_commit` after the first `since` entries, as the commit
    would; returns (run, left out)."""
    from django.db import connection

    pending = connection.run_on_commit[since:]
    del connection.run_on_commit[since:]
    ran = left = 0
    for _savepoints, func, _robust in pending:
        if _is_job_message(func):
            left += 1
            continue
        func()
        ran += 1
    return ran, left


@contextmanager
def rolled_back_write(write, ctx: WriteContext):
    """`with rolled_back_write(record_lecture, ctx) as info:` — the write is visible inside, gone after."""
    from django.db import connection, transaction

    with transaction.atomic():
        before = len(connection.run_on_commit)
        info = {"write": write(ctx)}
        info["deferred_run"], info["deferred_left"] = run_deferred(before)
        try:
            yield info
        finally:
            transaction.set_rollback(True)
