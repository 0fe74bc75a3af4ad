"""API settings classes (pagination, filtering) in a light module: DRF imports them while its own
modules are still loading, so this module must not import DRF views."""

import inspect

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter for the API with the pages' filter sets: they limit their organ and branch
    choices to the user's scope (`branches.filters.ScopedFilterSet.scope_choices`), so they need the user."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and "user" in inspect.signature(filterset_class.__init__).parameters:
            kwargs["user"] = request.user
        return kwargs
