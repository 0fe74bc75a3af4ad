"""The scorecard workbook opens in LibreOffice, an independent reader of the format (Excel is not
available here): every sheet converts, and the 汇总 sheet reads back with the run's numbers."""

import csv
import shutil
import subprocess
from decimal import Decimal

import pytest

from assessments.choices import RunStatus
from assessments.scorecards import write_scorecards
from tests.assessments.factories import RatingResultFactory, RatingRunFactory

SOFFICE = shutil.which("soffice")
# CSV export of every sheet: comma, double quote, UTF-8 (76), first line 1, all sheets (-1).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="未安装 LibreOffice（soffice），跳过独立打开检查。"),
]


@pytest.mark.django_db
def test_libreoffice_opens_every_sheet_and_reads_the_summary(tmp_path, branch_a, branch_b):
    run = RatingRunFactory(status=RunStatus.PUBLISHED)
    RatingResultFactory(run=run, branch=branch_a, total=Decimal("96.50"), stars=5, stars_by_score=5, rank=1)
    RatingResultFactory(run=run, branch=branch_b, total=Decimal("80.00"), stars=3, rank=2)
    source = tmp_path / "scorecards.xlsx"
    with source.open("wb") as out:
        write_scorecards(run, out)

    completed = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", CSV_FILTER, "--outdir", str(tmp_path / "csv"), str(source)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr

    sheets = {p.name.removeprefix("scorecards-").removesuffix(".csv") for p in (tmp_path / "csv").iterdir()}
    assert {"汇总", "考核方案", branch_a.organ.name, branch_b.organ.name} <= sheets
    with (tmp_path / "csv" / "scorecards-汇总.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_branch = {row["支部"]: row for row in rows}
    assert by_branch[branch_a.name]["总分"] == "96.5" and by_branch[branch_a.name]["星级"] == "★★★★★"
    assert by_branch[branch_b.name]["星级数"] == "3"
