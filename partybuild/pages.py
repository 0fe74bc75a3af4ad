"""Pages that keep their rendered body: the project page, a secretary's or member's home, the branch list.

The body is kept with `partybuild.figures.get_or_compute_under`, under the tokens of what it shows, for
`figures.PAGE_TIMEOUT`. Forms in it are rendered with a CSRF slot instead of a token: random letters drawn
for each rendering (no text a user typed can match them; letters, digits and dashes survive HTML escaping),
replaced on every response by the requester's own token. What differs per response and is not in the
body (messages of the last action, the bell) is rendered around it by the page's own template.
"""

import secrets
from collections.abc import Callable, Iterable

from django.middleware.csrf import get_token
from django.utils.safestring import mark_safe

from . import figures

CSRF_SLOT_PREFIX = "csrf-slot-"


def kept_page(
    request,
    *,
    topics: Iterable[str],
    parts: Iterable[tuple[str, object]],
    key: tuple,
    render: Callable[[str], dict],
) -> dict:
    """The page's pieces as `render(csrf_slot)` made them (at least "body", rendered with `csrf_token` set to
    the slot), kept or made now; the body comes back marked safe, carrying the requester's CSRF token."""

    def compute() -> dict:
        slot = CSRF_SLOT_PREFIX + secrets.token_hex(16)
        return {**render(slot), "csrf_slot": slot}

    page = figures.get_or_compute_under(topics, parts, key, compute, timeout=figures.PAGE_TIMEOUT)
    # The body was rendered by the portal's own templates, with every value escaped.
    return {**page, "body": mark_safe(page["body"].replace(page["csrf_slot"], get_token(request)))}
