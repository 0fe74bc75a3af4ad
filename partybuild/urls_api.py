"""URLs under /api/: every app's viewsets on one router, tokens, the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from partybuild import api

# Importing an app's api module registers its viewsets on the shared router.
API_MODULES = ("branches.api", "projects.api", "assessments.api", "notifications.api")

for module in API_MODULES:
    __import__(module)

urlpatterns = [
    path("auth/token/", api.obtain_token, name="api-token"),
    path("auth/token/revoke/", api.revoke_own_token, name="api-token-revoke"),
    path("auth/tokens/<int:user_id>/", api.revoke_user_token, name="api-token-revoke-user"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(api.router.urls)),
]
