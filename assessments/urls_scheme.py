"""Filled by its own change."""

urlpatterns: list = []
