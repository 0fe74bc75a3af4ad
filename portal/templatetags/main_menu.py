"""The main navigation's entries (`portal.menu`), for templates/_main_nav.html."""

from django import template

from portal.menu import menu_for

register = template.Library()


@register.simple_tag
def main_menu(scope, nav, year) -> list[dict]:
    return menu_for(scope, nav or "", year)
