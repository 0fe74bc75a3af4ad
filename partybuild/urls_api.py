"""URLs under /api/: every app's viewsets on one router, tokens, the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as account_api
from core import api

# Importing an app's api module registers its viewsets on the shared router.
API_MODULES = ("branches.api", "projects.api", "assessments.api", "notifications.api")

for module in API_MODULES:
    __import__(module)

# Records are looked up by number: anything else is a 404 from the URL resolver, never a value
# that reaches the database ("abc" for an integer key). A viewset keyed otherwise sets its own.
for _prefix, viewset, _basename in api.router.registry:
    if getattr(viewset, "lookup_value_regex", None) is None:
        viewset.lookup_value_regex = "[0-9]+"

urlpatterns = [
    path("auth/token/", account_api.obtain_token, name="api-token"),
    path("auth/token/revoke/", account_api.revoke_own_token, name="api-token-revoke"),
    path("auth/tokens/<int:user_id>/", account_api.revoke_user_token, name="api-token-revoke-user"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(api.router.urls)),
]
