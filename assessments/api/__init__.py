"""assessments' JSON API: importing the package registers its viewsets on the shared router (core.api.router)."""

from core.api import router

from .appraisals import AppraisalViewSet
from .ledger import ProblemViewSet
from .points import PointEntryViewSet, PointRuleViewSet
from .ratings import RatingResultViewSet, RatingRunViewSet
from .reports import DutyReportPeriodViewSet, DutyReportViewSet
from .schemes import AdjustmentItemViewSet, DimensionViewSet, IndicatorViewSet, SchemeViewSet
from .scorecards import ScorecardExportViewSet
from .scores import AdjustmentViewSet, IndicatorScoreViewSet
from .secretary import SecretaryReportViewSet

router.register("duty-report-periods", DutyReportPeriodViewSet, basename="duty-report-period")
router.register("duty-reports", DutyReportViewSet, basename="duty-report")
router.register("problems", ProblemViewSet, basename="problem")
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("scheme-dimensions", DimensionViewSet, basename="scheme-dimension")
router.register("scheme-indicators", IndicatorViewSet, basename="scheme-indicator")
router.register("scheme-adjustment-items", AdjustmentItemViewSet, basename="scheme-adjustment-item")
router.register("indicator-scores", IndicatorScoreViewSet, basename="indicator-score")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")
router.register("rating-runs", RatingRunViewSet, basename="rating-run")
router.register("rating-results", RatingResultViewSet, basename="rating-result")
router.register("appraisals", AppraisalViewSet, basename="appraisal")
router.register("point-rules", PointRuleViewSet, basename="point-rule")
router.register("point-entries", PointEntryViewSet, basename="point-entry")
router.register("secretary-reports", SecretaryReportViewSet, basename="secretary-report")
router.register("scorecard-exports", ScorecardExportViewSet, basename="scorecard-export")
