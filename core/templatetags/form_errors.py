"""The error summary every form page shows at its top: each error once, linked to the field or row it is about.

A long form (a grid of 36 members, a project with its targets and milestones) used to show a refused
step's message beside the button at the bottom, while the page came back scrolled to the top. The
summary puts every error where the page opens and links to where it is fixed.

    {% load form_errors %}{% form_errors form formset other_form note=error %}

Takes forms, formsets and lists of them (None is skipped), and an optional `note` said first (a page's
own message, e.g. that nothing was saved). A form may name where its form-wide errors point
(`error_anchor`, an element id; by default its first field), what its fields belong to when several
like forms share a page (`error_context`), and add links to the rows an error is about with
`core.forms.add_error_with_links`. Rows of a formset are labelled with their number.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template
from django.forms.formsets import BaseFormSet

register = template.Library()


@dataclass(frozen=True)
class ErrorItem:
    message: str
    anchor: str = ""
    label: str = ""
    links: tuple[tuple[str, str], ...] = ()


def _first_field_id(form: forms.BaseForm) -> str:
    for bound in form.visible_fields():
        return bound.id_for_label or ""
    return ""


def _form_items(form: forms.BaseForm, context: str = "") -> list[ErrorItem]:
    if not form.is_bound or not form.errors:
        return []
    context = context or str(getattr(form, "error_context", ""))
    anchor = getattr(form, "error_anchor", "") or _first_field_id(form)
    links = getattr(form, "error_links", {})
    items = [
        ErrorItem(str(message), anchor, context, tuple(links.get(str(message), ())))
        for message in form.non_field_errors()
    ]
    for bound in form:
        label = " · ".join(part for part in (context, str(bound.label or "")) if part)
        where = anchor if bound.is_hidden else bound.id_for_label or anchor
        items += [ErrorItem(str(message), where, label) for message in bound.errors]
    return items


def _formset_items(formset: BaseFormSet) -> list[ErrorItem]:
    model = getattr(formset, "model", None)
    name = str(model._meta.verbose_name) if model is not None else ""
    first = formset.forms[0] if formset.forms else None
    anchor = getattr(formset, "error_anchor", "") or (_first_field_id(first) if first is not None else "")
    items = [ErrorItem(str(message), anchor, name) for message in formset.non_form_errors()] if formset.is_bound else []
    for number, form in enumerate(formset.forms, start=1):
        items += _form_items(form, f"{name}第{number}行")
    return items


def collect(*found) -> list[ErrorItem]:
    items: list[ErrorItem] = []
    for thing in found:
        if thing is None or thing == "":
            continue
        if isinstance(thing, BaseFormSet):
            items += _formset_items(thing)
        elif isinstance(thing, forms.BaseForm):
            items += _form_items(thing)
        elif isinstance(thing, list | tuple):
            items += collect(*thing)
    return items


@register.inclusion_tag("_form_errors.html")
def form_errors(*found, note: str = "") -> dict:
    return {"items": collect(*found), "note": note}
