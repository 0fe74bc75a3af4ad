"""Who hears about each workflow step, and what they read. Called by the services, inside the step's
transaction, so a step taken from a page, the API or a command notifies the same people."""

from accounts import selectors
from notifications.services import announce

from . import rules
from .models import Project


def _announce(project: Project, actor, *, title: str, body: str, recipients) -> None:
    """A project step is keyed to its event (every step records one), not to the project's history."""
    event = project.events.order_by("-pk").values_list("pk", flat=True).first()
    announce(project, actor=actor, recipients=recipients, title=title, body=body, event=event)


def _branch_people(project: Project) -> list:
    return list(selectors.branch_committee_users(project.branch_id))


def _organ_people(project: Project) -> list:
    return list(selectors.organ_staff_users(project.branch.organ_id))


def submitted(project: Project, actor) -> None:
    _announce(
        project,
        actor,
        title=f"【待审核】{project.branch.name}提交了项目《{project.title}》",
        body=f"{project.branch.organ.display_short} {project.branch.name} 提交了 {project.year} 年支部项目"
        f"《{project.title}》，请审核。",
        recipients=_organ_people(project),
    )


def approved(project: Project, actor) -> None:
    _announce(
        project,
        actor,
        title=f"项目《{project.title}》已通过机关党委审核",
        body=f"{project.branch.name}的项目《{project.title}》已通过机关党委审核，等待工委备案。",
        recipients=_branch_people(project) + list(selectors.gongwei_users()),
    )


def returned(project: Project, actor) -> None:
    _announce(
        project,
        actor,
        title=f"项目《{project.title}》被退回修改",
        body=f"退回原因：{project.return_reason}\n请按意见修改后重新提交。",
        recipients=_branch_people(project) + (_organ_people(project) if rules.is_gongwei(actor) else []),
    )


def filed(project: Project, actor) -> None:
    _announce(
        project,
        actor,
        title=f"项目《{project.title}》已由工委备案",
        body=f"{project.branch.name}的项目《{project.title}》已备案，进入实施阶段。请按节点推进并及时填报进展。",
        recipients=_branch_people(project) + _organ_people(project),
    )
