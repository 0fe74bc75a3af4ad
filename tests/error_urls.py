"""The portal's URLs plus two views that fail, for the error-page tests (settings.ROOT_URLCONF)."""

from django.urls import path
from rest_framework.decorators import api_view

from partybuild.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a defect in a page")


@api_view(["GET"])
def api_boom(request):
    raise RuntimeError("a defect in an endpoint")


urlpatterns = [path("boom/", boom), path("api/boom/", api_boom), *urlpatterns]
