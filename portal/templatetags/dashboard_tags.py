"""Template helpers of the dashboard."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def _css(done: int, due: int) -> str:
    if not due:
        return "text-muted"
    if done == due:
        return "bg-success-subtle"
    return "bg-warning-subtle" if done else "bg-danger-subtle"


@register.simple_tag
def heat_cells(cells) -> str:
    """One row of the heat map's table as `<td>`s. Built in Python: at city scale the table has
    about a thousand cells, and the template engine spent most of the page's time on them."""
    parts = []
    for done, due, _rate in cells:
        done, due = int(done), int(due)  # numbers only: nothing here needs escaping
        parts.append(f'<td class="{_css(done, due)}">{done}/{due}</td>' if due else '<td class="text-muted">—</td>')
    return mark_safe("".join(parts))
