"""Year-end scorecards: staff export a rating run to Excel and get the same numbers the run shows.

The workbook is re-read with openpyxl and checked against the run's results; the export is scoped
(a 机关党委 gets only its organ, secretaries get nothing) and runs as a job with progress.
"""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments import scorecards
from assessments.choices import JobStatus, RunStatus, Tier
from assessments.models import ScorecardExport
from assessments.scorecards import ScorecardError, build_export, request_export, sheet_name, write_scorecards
from notifications.models import Notification
from tests.assessments.factories import RatingResultFactory, RatingRunFactory
from tests.factories import BranchFactory, OrganFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def published_run(db):
    return RatingRunFactory(status=RunStatus.PUBLISHED)


@pytest.fixture
def results(published_run, branch_a, branch_a2, branch_b):
    """综合处 5★ 先进 (rank 1, was 4★), 规划处 2★ 一般 flagged and paired, 预算处 3★ with an N/A."""
    top = RatingResultFactory(
        run=published_run, branch=branch_a, secretary_name="王书记", total=Decimal("96.50"), bonus=Decimal("2.00"),
        stars=5, stars_by_score=5, tier=Tier.ADVANCED, rank=1, previous_stars=4,
    )  # fmt: skip
    low = RatingResultFactory(
        run=published_run, branch=branch_a2, total=Decimal("66.25"), deduction=Decimal("3.00"), stars=2,
        stars_by_score=2, tier=Tier.ORDINARY, rank=3, previous_stars=2, is_bottom=True, paired_with=top,
    )  # fmt: skip
    mid = RatingResultFactory(
        run=published_run, branch=branch_b, total=Decimal("80.00"), stars=3, stars_by_score=3,
        tier=Tier.GOOD, rank=2,
    )  # fmt: skip
    mid.breakdown[0]["score"] = None  # the first indicator does not apply to 预算处
    mid.dimensions = {**mid.dimensions, "政治建设": "7.25"}
    mid.save()
    return {"top": top, "low": low, "mid": mid}


def workbook_of(run, **kwargs):
    out = io.BytesIO()
    write_scorecards(run, out, **kwargs)
    out.seek(0)
    return load_workbook(out)


def rows_by_branch(ws) -> dict[str, dict]:
    header = [cell.value for cell in ws[1]]
    column = header.index("支部")
    return {row[column]: dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)}


# --- The workbook --------------------------------------------------------------------------


def test_summary_sheet_has_one_row_per_branch_with_the_runs_numbers(published_run, results, organ_a, organ_b):
    wb = workbook_of(published_run)

    assert wb.sheetnames == ["汇总", organ_a.name, organ_b.name, "考核方案"]
    ws = wb["汇总"]
    dimensions = [d.name for d in published_run.scheme.dimensions.order_by("sort_order")]
    assert [c.value for c in ws[1]] == ["单位", "支部", "支部书记", *dimensions, "加分", "扣分", "总分", "星级",
                                        "星级数", "等次", "排名", "较上年", "排名靠后整顿", "结对帮扶支部"]  # fmt: skip
    rows = rows_by_branch(ws)
    assert set(rows) == {"综合处党支部", "规划处党支部", "预算处党支部"}
    top = rows["综合处党支部"]
    assert top["单位"] == organ_a.name and top["支部书记"] == "王书记"
    assert top["总分"] == 96.5 and top["加分"] == 2
    assert top["星级"] == "★★★★★" and top["星级数"] == 5
    assert top["等次"] == "先进" and top["排名"] == 1 and top["较上年"] == "升1星"
    assert top["排名靠后整顿"] is None
    low = rows["规划处党支部"]
    assert low["星级"] == "★★☆☆☆" and low["星级数"] == 2 and low["扣分"] == 3
    assert low["较上年"] == "持平" and low["排名靠后整顿"] == "是" and low["结对帮扶支部"] == "综合处党支部"
    mid = rows["预算处党支部"]
    assert mid["较上年"] == "新参评" and mid["等次"] == "良好"
    assert mid["政治建设"] == 7.25 and mid["组织建设"] == 90


def test_summary_sheet_is_ready_for_screen_and_paper(published_run, results):
    ws = workbook_of(published_run)["汇总"]

    assert ws.freeze_panes == "D2"
    assert ws.auto_filter.ref.startswith("A1:") and ws.auto_filter.ref.endswith("4")
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    # One page wide (absent means 1 in the file format), as many pages down as needed.
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1
    assert ws.page_setup.fitToHeight == 0
    # Excel shows 26 characters; the file stores that width plus the cell padding.
    assert 26 <= ws.column_dimensions["B"].width < 27
    total_column = [c.value for c in ws[1]].index("总分")
    assert ws.cell(row=2, column=total_column + 1).number_format == "0.00"
    header = ws["A1"]
    assert header.font.b and header.font.color.rgb == "FFFFFFFF"
    assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb == "FFB5121B"
    assert header.alignment.horizontal == "center" and header.alignment.wrap_text
    assert ws.oddHeader.center.text.endswith("党支部考核结果汇总") and "&P" in ws.oddFooter.center.text


def test_each_organ_sheet_details_its_branches_indicators(published_run, results, organ_a, organ_b):
    wb = workbook_of(published_run)
    scheme = published_run.scheme
    first = scheme.indicators.select_related("dimension").order_by("dimension__sort_order", "sort_order").first()

    ws_a, ws_b = wb[organ_a.name], wb[organ_b.name]
    header = [c.value for c in ws_a[1]]
    assert header[:3] == ["排名", "支部", "支部书记"]
    assert header[3] == f"{first.dimension.name}\n{first.name}（{first.max_score:g}分）"
    assert len(header) == 3 + scheme.indicators.count() + 7
    assert set(rows_by_branch(ws_a)) == {"综合处党支部", "规划处党支部"}
    assert set(rows_by_branch(ws_b)) == {"预算处党支部"}
    top = rows_by_branch(ws_a)["综合处党支部"]
    assert top[header[3]] == float(first.max_score * Decimal("0.9"))
    assert top["总分"] == 96.5 and top["星级数"] == 5
    assert rows_by_branch(ws_b)["预算处党支部"][header[3]] == "不适用"
    assert ws_a.freeze_panes == "D2" and ws_a.print_title_rows == "$1:$1"
    assert ws_a.page_setup.orientation == "landscape"


def test_scheme_sheet_lists_the_rules_the_run_applied(published_run, results):
    ws = workbook_of(published_run)["考核方案"]
    scheme = published_run.scheme

    assert [c.value for c in ws[1]] == [
        "考核维度",
        "考核指标",
        "分值",
        "数据来源",
        "计算口径",
        "评分标准",
        "支部可自评",
    ]
    names = [row[1] for row in ws.iter_rows(min_row=2, max_row=1 + scheme.indicators.count(), values_only=True)]
    assert names == list(
        scheme.indicators.order_by("dimension__sort_order", "sort_order").values_list("name", flat=True)
    )
    settings = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}
    assert settings["五星最低分"] == 95 and settings["一星最低分"] == 60
    assert settings["五星比例上限（%）"] == 10 and settings["加分上限"] == 5
    assert settings["发生违纪违法案件"] == "扣分"


def test_text_that_looks_like_a_formula_stays_text(published_run, organ_a):
    branch = BranchFactory(organ=organ_a, name='=HYPERLINK("http://x")')
    RatingResultFactory(run=published_run, branch=branch, secretary_name="+1")

    ws = workbook_of(published_run)["汇总"]

    assert ws["B2"].value == '\'=HYPERLINK("http://x")' and ws["B2"].data_type == "s"
    assert ws["C2"].value == "'+1"


def test_sheet_names_are_ones_excel_accepts():
    taken = {"汇总"}
    assert sheet_name("汇总", taken) == "汇总(2)"
    assert sheet_name("市[规划]:局*?/\\", taken) == "市规划局"
    long = sheet_name("中" * 40, taken)
    again = sheet_name("中" * 40, taken)
    assert len(long) == 31 and len(again) == 31 and long != again
    assert sheet_name("History", taken) == "History(2)"
    # Excel counts UTF-16 units: a character outside the BMP takes two.
    assert sheet_name("𠀀" * 20, taken) == "𠀀" * 15


def test_an_organ_filter_limits_rows_and_sheets(published_run, results, organ_a, organ_b):
    wb = workbook_of(published_run, organ_ids=[organ_b.pk])

    assert wb.sheetnames == ["汇总", organ_b.name, "考核方案"]
    assert set(rows_by_branch(wb["汇总"])) == {"预算处党支部"}


def test_query_count_does_not_grow_with_branches(published_run):
    small, large = RatingRunFactory(status=RunStatus.DRAFT), published_run
    for organ in OrganFactory.create_batch(2):
        RatingResultFactory(run=small, branch=BranchFactory(organ=organ))
    for organ in OrganFactory.create_batch(3):
        for branch in BranchFactory.create_batch(10, organ=organ):
            RatingResultFactory(run=large, branch=branch)
    small.refresh_from_db()
    large.refresh_from_db()

    with CaptureQueriesContext(connection) as two:
        write_scorecards(small, io.BytesIO())
    with CaptureQueriesContext(connection) as thirty:
        write_scorecards(large, io.BytesIO())

    assert len(two) == len(thirty) <= 7


def test_progress_is_reported_on_the_way(published_run, monkeypatch):
    monkeypatch.setattr(scorecards, "PROGRESS_EVERY", 2)
    for branch in BranchFactory.create_batch(5):
        RatingResultFactory(run=published_run, branch=branch)
    calls = []

    n = write_scorecards(published_run, io.BytesIO(), progress=lambda done, total: calls.append((done, total)))

    assert n == 5
    assert calls == [(2, 5), (4, 5), (5, 5)]


# --- Scope of the export -------------------------------------------------------------------


def test_organ_staff_gets_only_its_organ(client_for, organ_staff_a, published_run, results, organ_a, organ_b,
                                         django_capture_on_commit_callbacks):  # fmt: skip
    client = client_for(organ_staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessments:scorecard_request", args=[published_run.pk]))

    export = ScorecardExport.objects.get()
    assert response.status_code == 302 and response.url == reverse("assessments:scorecard_detail", args=[export.pk])
    assert export.organ == organ_a and export.status == JobStatus.DONE and export.progress == 100
    download = client.get(reverse("assessments:scorecard_download", args=[export.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert wb.sheetnames == ["汇总", organ_a.name, "考核方案"]
    assert set(rows_by_branch(wb["汇总"])) == {"综合处党支部", "规划处党支部"}
    assert Notification.objects.filter(recipient=organ_staff_a, title__contains="已生成").exists()


def test_organ_staff_cannot_export_another_organ(client_for, organ_staff_a, published_run, results, organ_b):
    response = client_for(organ_staff_a).post(
        reverse("assessments:scorecard_request", args=[published_run.pk]), {"organ": organ_b.pk}
    )

    # The other organ is not among the form's choices; the service refuses it outright too.
    assert response.status_code == 200 and "organ" in response.context["form"].errors
    with pytest.raises(PermissionDenied):
        request_export(published_run, by=organ_staff_a, organ=organ_b)
    assert not ScorecardExport.objects.exists()


def test_organ_staff_does_not_see_an_unpublished_run(client_for, organ_staff_a, organ_a):
    draft = RatingRunFactory(status=RunStatus.DRAFT)

    response = client_for(organ_staff_a).post(reverse("assessments:scorecard_request", args=[draft.pk]))

    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        request_export(draft, by=organ_staff_a)


@pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "outsider"])
def test_secretaries_and_members_get_no_export(request, client_for, persona, published_run, results):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(reverse("assessments:scorecard_request", args=[published_run.pk])).status_code == 403
    assert client.post(reverse("assessments:scorecard_request", args=[published_run.pk])).status_code == 403
    assert not ScorecardExport.objects.exists()


def test_gongwei_exports_all_organs_or_one(client_for, gongwei_staff, results, organ_b,
                                           django_capture_on_commit_callbacks):  # fmt: skip
    draft = RatingRunFactory(status=RunStatus.DRAFT)
    RatingResultFactory(run=draft, branch=results["mid"].branch)
    client = client_for(gongwei_staff)
    page = client.get(reverse("assessments:scorecard_request", args=[draft.pk]))
    assert page.status_code == 200 and "全部单位" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("assessments:scorecard_request", args=[draft.pk]))
        client.post(reverse("assessments:scorecard_request", args=[results["top"].run_id]), {"organ": organ_b.pk})

    everything, one = ScorecardExport.objects.order_by("pk")
    assert everything.organ is None and everything.run == draft and everything.status == JobStatus.DONE
    assert one.organ == organ_b
    with one.file.open("rb") as handle:
        assert load_workbook(handle).sheetnames == ["汇总", organ_b.name, "考核方案"]


def test_a_run_still_computing_cannot_be_exported(gongwei_staff):
    running = RatingRunFactory(status=RunStatus.RUNNING)

    with pytest.raises(ScorecardError, match="尚未计算完成"):
        request_export(running, by=gongwei_staff)


def test_only_the_requester_or_gongwei_opens_an_export(client_for, organ_staff_a, gongwei_staff, published_run,
                                                       results, django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(published_run, by=organ_staff_a)
    colleague = OrganFactory()  # staff of another organ, who could export their own
    from tests.factories import Role, UserFactory, grant

    other = UserFactory()
    grant(other, Role.ORGAN, organ=colleague)

    assert client_for(other).get(reverse("assessments:scorecard_download", args=[export.pk])).status_code == 404
    assert client_for(other).get(reverse("assessments:scorecard_detail", args=[export.pk])).status_code == 404
    assert client_for(gongwei_staff).get(reverse("assessments:scorecard_download", args=[export.pk])).status_code == 200


def test_a_second_click_while_building_returns_the_same_job(organ_staff_a, published_run, results):
    first = request_export(published_run, by=organ_staff_a)
    second = request_export(published_run, by=organ_staff_a)

    assert first == second and first.status == JobStatus.QUEUED
    assert ScorecardExport.objects.count() == 1


# --- Progress, failure and retry -----------------------------------------------------------


def test_the_detail_page_polls_while_queued_and_links_when_done(client_for, organ_staff_a, published_run, results):
    export = request_export(published_run, by=organ_staff_a)  # queued: the task runs on commit
    client = client_for(organ_staff_a)
    url = reverse("assessments:scorecard_detail", args=[export.pk])

    page = client.get(url)
    fragment = client.get(url, HTTP_HX_REQUEST="true")

    assert page.status_code == 200 and "<html" in page.content.decode()
    assert 'hx-trigger="every 2s"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    assert "排队中" in fragment.content.decode()

    build_export(export.pk)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert reverse("assessments:scorecard_download", args=[export.pk]) in done


def test_building_twice_builds_once(organ_staff_a, published_run, results):
    export = request_export(published_run, by=organ_staff_a)

    first = build_export(export.pk)
    again = build_export(export.pk)

    assert first.status == again.status == JobStatus.DONE
    assert again.file.name == first.file.name
    assert Notification.objects.filter(recipient=organ_staff_a).count() == 1


def test_the_job_writes_its_progress_at_most_once_per_percent(organ_staff_a, published_run, monkeypatch):
    """A province's workbook reports progress 150 times; the page needs each percentage once."""

    def many_branches(run, out, *, organ_ids=None, progress=None):
        for done in range(1, 1001):
            progress(done, 1000)
        out.write(b"xlsx")
        return 1000

    monkeypatch.setattr(scorecards, "write_scorecards", many_branches)
    export = request_export(published_run, by=organ_staff_a)

    with CaptureQueriesContext(connection) as queries:
        build_export(export.pk)

    progress_writes = [q for q in queries if q["sql"].startswith('UPDATE "assessments_scorecardexport" SET "progress"')]
    assert len(progress_writes) == 100  # 0 % … 99 %; 100 % comes with the finished file
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.progress == 100


def test_a_failed_export_says_why_and_can_be_retried(client_for, organ_staff_a, published_run, results, monkeypatch,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    real = scorecards.write_scorecards

    def broken(*args, **kwargs):
        raise OSError("磁盘已满")

    monkeypatch.setattr(scorecards, "write_scorecards", broken)
    export = request_export(published_run, by=organ_staff_a)
    failed = build_export(export.pk)

    assert failed.status == JobStatus.FAILED and "磁盘已满" in failed.error and not failed.file
    assert Notification.objects.filter(recipient=organ_staff_a, title__contains="生成失败").exists()
    client = client_for(organ_staff_a)
    page = client.get(reverse("assessments:scorecard_detail", args=[export.pk])).content.decode()
    assert "重新生成" in page and "hx-trigger" not in page
    assert client.get(reverse("assessments:scorecard_download", args=[export.pk])).status_code == 404

    monkeypatch.setattr(scorecards, "write_scorecards", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessments:scorecard_retry", args=[export.pk]))

    export.refresh_from_db()
    assert response.status_code == 302
    assert export.status == JobStatus.DONE and export.error == "" and export.progress == 100
    assert client.get(reverse("assessments:scorecard_download", args=[export.pk])).status_code == 200


def test_only_a_failed_export_is_retried(organ_staff_a, published_run, results):
    export = request_export(published_run, by=organ_staff_a)
    build_export(export.pk)

    with pytest.raises(ScorecardError, match="只有生成失败"):
        scorecards.retry_export(export, by=organ_staff_a)


def test_an_export_whose_worker_never_came_back_can_be_started_again(
    client_for, organ_staff_a, published_run, results, django_capture_on_commit_callbacks
):
    export = request_export(published_run, by=organ_staff_a)  # queued, but no worker ever takes it
    assert request_export(published_run, by=organ_staff_a) == export  # a second click waits for it
    with pytest.raises(ScorecardError, match="长时间未完成"):
        scorecards.retry_export(export, by=organ_staff_a)

    later = export.created_at + scorecards.STALLED_AFTER + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        page = client_for(organ_staff_a).get(reverse("assessments:scorecard_detail", args=[export.pk]))
        assert "后台任务可能已中断" in page.content.decode() and "hx-trigger" not in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            scorecards.retry_export(export, by=organ_staff_a)
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.file


# --- The command ---------------------------------------------------------------------------


def test_command_exports_the_years_published_run(published_run, results, tmp_path, organ_a):
    RatingRunFactory(status=RunStatus.DRAFT)  # a newer draft is not what the year's scorecards show
    output = tmp_path / "考核结果.xlsx"
    out = io.StringIO()

    call_command("export_scorecards", "--year", "2026", "--output", str(output), stdout=out)

    assert "3 个党支部" in out.getvalue()
    assert set(rows_by_branch(load_workbook(output)["汇总"])) == {"综合处党支部", "规划处党支部", "预算处党支部"}

    call_command("export_scorecards", "--year", "2026", "--output", str(output), "--organ", str(organ_a.pk), stdout=out)
    assert load_workbook(output).sheetnames == ["汇总", organ_a.name, "考核方案"]


def test_command_takes_a_run_number_and_explains_a_missing_run(tmp_path, branch_a):
    draft = RatingRunFactory(status=RunStatus.DRAFT)
    RatingResultFactory(run=draft, branch=branch_a)
    output = tmp_path / "draft.xlsx"

    with pytest.raises(CommandError, match="没有已发布的星级评定结果"):
        call_command("export_scorecards", "--year", "2026", "--output", str(output))
    # A number no run of the year has: the factory numbers runs per test process, so not a fixed 99.
    missing = draft.number + 1000
    with pytest.raises(CommandError, match=f"没有第{missing}次"):
        call_command("export_scorecards", "--year", "2026", "--output", str(output), "--run", str(missing))

    call_command("export_scorecards", "--year", "2026", "--output", str(output), "--run", str(draft.number),
                 stdout=io.StringIO())  # fmt: skip
    assert set(rows_by_branch(load_workbook(output)["汇总"])) == {"综合处党支部"}
