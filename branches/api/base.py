"""JSON API of the branches app: organs, branches, members, committee terms, party groups,
meetings with attendance, votes and attachments, meeting requirements, exemptions and 学时.

Same rules as the pages: objects come from the same fetch-and-authorize helpers (404 outside the
user's scope, 403 for a role that may see but not act); writes go through the pages' own forms
(for the field-by-field checks of a roster entry, a term or a party group) and service functions.
"""

import django_filters
from django import forms
from django.forms.models import model_to_dict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
)
from rest_framework import exceptions

from core.api import ERRORS

from .. import orglife
from ..permissions import SEE_STAFF_PAGES

LIST_ERRORS = {k: v for k, v in ERRORS.items() if k != 404}
BINARY = OpenApiTypes.BINARY


# --- shared helpers ----------------------------------------------------------------------------


def _require_staff_or_committee(user) -> None:
    """The lists the pages show to staff and branch committees only; a plain member gets 403."""
    SEE_STAFF_PAGES.require(user)


def _form_errors(form) -> dict:
    """A Django form's errors as DRF's field-by-field 400 body (`non_field_errors` for the rest)."""
    errors = {}
    for name, messages in form.errors.items():
        errors["non_field_errors" if name == "__all__" else name] = list(messages)
    return errors


def _valid(form):
    if not form.is_valid():
        raise exceptions.ValidationError(_form_errors(form))
    return form


def _form_data(instance, fields, validated: dict) -> dict:
    """Form data for a write: the stored values (for PATCH) overlaid with what was sent."""
    data = model_to_dict(instance, fields=fields) if instance is not None and instance.pk else {}
    data.update(validated)
    return {k: v for k, v in data.items() if v is not None}


def _year(request, default: int | None = None) -> int:
    raw = request.query_params.get("year")
    if raw in (None, ""):
        return default if default is not None else timezone.localdate().year
    try:
        year = int(raw)
    except ValueError:
        raise exceptions.ValidationError({"year": ["年度应为整数。"]}) from None
    if not orglife.year_is_reasonable(year, timezone.localdate()):
        raise exceptions.ValidationError({"year": [f"年度应在 {orglife.FIRST_YEAR} 年至明年之间。"]})
    return year


class YearFilter(django_filters.Filter):
    """`?year=` as a bounded integer: a year outside it is a 400, never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", orglife.FIRST_YEAR)
        kwargs.setdefault("max_value", 2100)
        kwargs.setdefault("lookup_expr", "year")
        super().__init__(*args, **kwargs)


YEAR_PARAM = OpenApiParameter("year", int, description="年度（默认今年）")
