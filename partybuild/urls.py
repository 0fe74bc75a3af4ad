from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from core import health
from portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("years/open/", portal_views.open_year, name="open_year"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the browsable API). The static URL is
    # looked up per request: the manifest of hashed names may not exist yet when the URLs are imported.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.ico")), name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("org/", include("branches.urls")),
    path("projects/", include("projects.urls")),
    path("assessments/", include("assessments.urls")),
    path("dashboard/", include("portal.urls")),
    path("public/", include(("projects.urls_public", "public"))),
    path("notifications/", include("notifications.urls")),
    path("api/", include("partybuild.urls_api")),
    path("admin/", admin.site.urls),
]

# The portal's own Chinese pages, and JSON under /api/ (core/error_pages.py); under DEBUG too, by the middleware.
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"

admin.site.site_header = "partybuild 系统管理"
admin.site.site_title = "partybuild 系统管理"
