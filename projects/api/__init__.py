"""projects' JSON API: importing the package registers its viewsets on the shared router (core.api.router)."""

from core.api import router

from .acceptance import AcceptanceReviewViewSet
from .experts import ExpertAssignmentViewSet
from .progress import EvidenceViewSet, MilestoneViewSet
from .projects import ProjectViewSet
from .supervision import SupervisionViewSet
from .tasks import TaskViewSet
from .topics import TopicListViewSet, TopicViewSet

router.register("topic-lists", TopicListViewSet, basename="api-topic-list")
router.register("topics", TopicViewSet, basename="api-topic")
router.register("projects", ProjectViewSet, basename="api-project")
router.register("project-milestones", MilestoneViewSet, basename="api-project-milestone")
router.register("project-evidence", EvidenceViewSet, basename="api-project-evidence")
router.register("project-tasks", TaskViewSet, basename="api-project-task")
router.register("project-supervisions", SupervisionViewSet, basename="api-project-supervision")
router.register("project-reviews", AcceptanceReviewViewSet, basename="api-project-review")
router.register("project-expert-assignments", ExpertAssignmentViewSet, basename="api-project-expert-assignment")
