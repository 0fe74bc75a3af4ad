"""Sections that the apps above branches add to the branch page, so that branches imports none of them.

An app registers a template (and, when the template needs more than the branch page's own context, a
function `context(branch, user) -> dict`) from its `AppConfig.ready`; the branch page renders them in the
order the apps are installed, after its own sections.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BranchPanel:
    template: str
    context: Callable[..., dict] | None = None


_panels: list[BranchPanel] = []


def register_branch_panel(template: str, context: Callable[..., dict] | None = None) -> None:
    if all(panel.template != template for panel in _panels):
        _panels.append(BranchPanel(template, context))


def branch_panels(branch, user) -> dict:
    """The registered panels' templates and the context they add, merged."""
    extra: dict = {}
    for panel in _panels:
        if panel.context is not None:
            extra.update(panel.context(branch, user))
    return {"panel_templates": [panel.template for panel in _panels], **extra}
