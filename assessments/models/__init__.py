"""Models of the assessments app, one module per subject; import them from here."""

from .duty import DutyFiling, DutyReport, DutyReportPeriod, DutyReportQuerySet, Problem, ProblemQuerySet
from .members import (
    Appraisal,
    AppraisalEntry,
    PointEntry,
    PointRule,
    SecretaryReport,
    SecretaryReportAttachment,
)
from .rating import RatingResult, RatingRun, ScorecardExport
from .scheme import Adjustment, AdjustmentItem, AssessmentScheme, Dimension, Indicator, IndicatorScore

__all__ = [
    "Adjustment",
    "AdjustmentItem",
    "Appraisal",
    "AppraisalEntry",
    "AssessmentScheme",
    "Dimension",
    "DutyFiling",
    "DutyReport",
    "DutyReportPeriod",
    "DutyReportQuerySet",
    "Indicator",
    "IndicatorScore",
    "PointEntry",
    "PointRule",
    "Problem",
    "ProblemQuerySet",
    "RatingResult",
    "RatingRun",
    "ScorecardExport",
    "SecretaryReport",
    "SecretaryReportAttachment",
]
