"""JSON API of 一支部一项目: topic lists and topics, projects and every workflow step, tasks,
milestones with progress and evidence, supervision and 督办, acceptance reviews.

Same rules as the pages, in the same places: objects come from the pages' fetch-and-authorize
helpers (404 outside the user's scope, 403 for a role that may look but not act), input is
checked by the pages' own forms (so a field error reads as on the page, field by field), and
every write is the page's service call. The serializers here only describe and type the data.
"""

import datetime

from django.core.exceptions import PermissionDenied
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

# --- shared helpers -----------------------------------------------------------------------


def _form_errors(form) -> dict:
    """A Django form's errors as DRF answers them: by field, the form-wide ones as non_field_errors."""
    return {("non_field_errors" if name == "__all__" else name): list(errors) for name, errors in form.errors.items()}


def _check(form) -> dict:
    """The page form's cleaned data, or a 400 listing its errors field by field."""
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    return form.cleaned_data


def _form_value(value):
    """A typed value as a form field reads it from posted data."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def _form_data(validated: dict) -> dict:
    return {name: _form_value(value) for name, value in validated.items()}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose rows depend on the user: the schema generator gets an empty queryset.

    Each subclass names its `model` and defines `scoped_queryset(user)`, the rows that user may see.
    """

    model = None
    # Ids are numbers: anything else is not a URL of this API (404), never a failed lookup (500).
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scoped_queryset(self.request.user)


def _user_name(user) -> str | None:
    return str(user) if user is not None else None
