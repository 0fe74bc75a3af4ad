"""branches' JSON API: importing the package registers its viewsets on the shared router (core.api.router)."""

from core.api import router

from .branches import BranchViewSet
from .exemptions import ExemptionViewSet
from .groups import PartyGroupViewSet
from .meetings import MeetingViewSet
from .members import MemberViewSet
from .organs import OrganViewSet
from .requirements import RequirementViewSet
from .terms import TermViewSet
from .training import TrainingViewSet

router.register("organs", OrganViewSet, basename="api-organ")
router.register("branches", BranchViewSet, basename="api-branch")
router.register("members", MemberViewSet, basename="api-member")
router.register("terms", TermViewSet, basename="api-term")
router.register("party-groups", PartyGroupViewSet, basename="api-party-group")
router.register("meetings", MeetingViewSet, basename="api-meeting")
router.register("meeting-requirements", RequirementViewSet, basename="api-meeting-requirement")
router.register("exemptions", ExemptionViewSet, basename="api-exemption")
router.register("trainings", TrainingViewSet, basename="api-training")
