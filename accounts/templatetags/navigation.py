"""The main navigation, rendered once per (page, role flags, year) and reused by every request.

Its HTML depends on nothing else: the links are fixed by the URL configuration and the entries by the
scope's flags. Rendering it afresh cost about thirty `reverse()` calls and a large template on every
page; a memo in the process costs a dictionary lookup. Nothing here needs invalidating: a user whose
roles change gets a different key.
"""

from functools import lru_cache
from types import SimpleNamespace

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

register = template.Library()

TEMPLATE = "_main_nav.html"
# Every scope attribute `_main_nav.html` reads (a test checks the template names no other).
NAV_FLAGS = (
    "is_anyone",
    "is_branch_committee",
    "is_gongwei",
    "is_leader",
    "is_organ_staff",
    "is_staff_or_committee",
    "member_id",
)


def nav_key(context) -> tuple:
    scope = context.get("scope")
    flags = tuple(getattr(scope, name) for name in NAV_FLAGS) if scope is not None else (None,) * len(NAV_FLAGS)
    return (context.get("nav"), flags, context.get("now_year"))


@lru_cache(maxsize=2048)
def _render(key: tuple) -> str:
    nav, flags, now_year = key
    scope = SimpleNamespace(**dict(zip(NAV_FLAGS, flags, strict=True)))
    return mark_safe(render_to_string(TEMPLATE, {"nav": nav, "scope": scope, "now_year": now_year}))


@register.simple_tag(takes_context=True)
def main_nav(context) -> str:
    if settings.DEBUG:
        # While templates are being edited, show the edit.
        return _render.__wrapped__(nav_key(context))
    return _render(nav_key(context))


def _forget(**kwargs) -> None:
    # Tests that swap URL configurations or template settings must not see another configuration's links.
    _render.cache_clear()


setting_changed.connect(_forget)
