"""The workflow steps every service shares (core.workflow) and the one way a step is announced."""

import pytest

from core.errors import IllegalTransition
from core.workflow import last_change, locked, record, require_state
from notifications.models import Notification
from notifications.services import announce
from projects.choices import ProjectStatus
from projects.models import Project
from tests.factories import UserFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_locked_reads_the_row_again_with_its_relations(branch_a):
    project = ProjectFactory(branch=branch_a)
    Project.objects.filter(pk=project.pk).update(title="另一个标题")
    fresh = locked(project, "branch__organ")
    assert fresh.title == "另一个标题" and fresh is not project
    assert "branch" in fresh._state.fields_cache and "organ" in fresh.branch._state.fields_cache


def test_require_state_refuses_other_states_with_the_current_one_named(branch_a):
    project = ProjectFactory(branch=branch_a)
    require_state(project, (ProjectStatus.DRAFT,), "只有草稿可以提交")
    with pytest.raises(IllegalTransition, match=r"^只有已备案的项目可以申请验收（当前状态：草稿）$"):
        require_state(project, (ProjectStatus.FILED,), "只有已备案的项目可以申请验收")


def test_record_saves_who_and_why_and_last_change_names_it(branch_a):
    project = ProjectFactory(branch=branch_a)
    before = last_change(project)
    editor = UserFactory()
    project.title = "新标题"
    record(project, editor, "修改标题", ["title"])
    latest = project.history.latest("history_id")
    assert (latest.history_user, latest.history_change_reason, latest.title) == (editor, "修改标题", "新标题")
    assert last_change(project) == latest.history_id != before


def test_announce_tells_everyone_but_the_actor_once_per_change(branch_a):
    project = ProjectFactory(branch=branch_a)
    actor, other = UserFactory(), UserFactory()
    created = announce(project, actor=actor, recipients=[actor, other], title="已提交", body="请审核")
    assert [n.recipient for n in created] == [other]
    assert created[0].url == project.get_absolute_url()
    # The same step announced again (a retry) sends nothing; the next change is news again.
    assert announce(project, actor=actor, recipients=[other], title="已提交", body="请审核") == []
    record(project, actor, "退回")
    assert len(announce(project, actor=actor, recipients=[other], title="被退回", body="请修改")) == 1
    assert Notification.objects.filter(recipient=other).count() == 2
