"""Factories for the annual assessment. `default_scheme` gives the DOMAIN.md scheme for a year;
`RatingRunFactory`/`RatingResultFactory` make a finished run without computing one, for pages and
exports that only read results.
"""

import datetime
from decimal import Decimal

import factory

from assessments import reports
from assessments.choices import RunStatus, Tier
from assessments.models import AssessmentScheme, DutyReport, RatingResult, RatingRun
from assessments.schemes import create_default_scheme
from tests.factories import BranchFactory, UserFactory

YEAR = 2026


def keep_filing(report: DutyReport) -> DutyReport:
    """What the report services do after a write: tests that write a report directly refresh its kept filing too."""
    reports.refresh_filing(periods=[report.period_id], members=[report.member_id])
    return report


def default_scheme(year: int = YEAR, by=None) -> AssessmentScheme:
    existing = AssessmentScheme.objects.current_for(year)
    return existing or create_default_scheme(year, by=by or UserFactory())


class RatingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingRun

    year = YEAR
    number = factory.Sequence(lambda n: n + 1)
    scheme = factory.LazyAttribute(lambda o: default_scheme(o.year))
    status = RunStatus.DRAFT
    as_of = factory.LazyAttribute(lambda o: datetime.date(o.year, 12, 31))
    created_by = factory.SubFactory(UserFactory)


def _breakdown(result) -> list[dict]:
    rows = []
    for indicator in result.run.scheme.indicators.select_related("dimension"):
        rows.append(
            {
                "lineage": str(indicator.lineage),
                "dimension": indicator.dimension.name,
                "name": indicator.name,
                "source": indicator.source,
                "max": str(indicator.max_score),
                "score": str((indicator.max_score * Decimal("0.9")).quantize(Decimal("0.01"))),
                "input": "",
            }
        )
    return rows


class RatingResultFactory(factory.django.DjangoModelFactory):
    """A result whose breakdown gives 90% of every indicator; override totals as needed."""

    class Meta:
        model = RatingResult

    run = factory.SubFactory(RatingRunFactory)
    branch = factory.SubFactory(BranchFactory)
    organ = factory.LazyAttribute(lambda o: o.branch.organ)
    organ_name = factory.LazyAttribute(lambda o: o.branch.organ.name)
    branch_name = factory.LazyAttribute(lambda o: o.branch.name)
    secretary_name = "张书记"
    base_score = Decimal("90.00")
    bonus = Decimal("0.00")
    deduction = Decimal("0.00")
    total = Decimal("90.00")
    stars = 4
    stars_by_score = 4
    tier = Tier.ADVANCED
    rank = 1
    previous_stars = None
    dimensions = factory.LazyAttribute(lambda o: {d.name: "90.00" for d in o.run.scheme.dimensions.all()})
    breakdown = factory.LazyAttribute(_breakdown)
