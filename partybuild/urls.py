from django.contrib import admin
from django.urls import include, path

from core import health
from portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("years/open/", portal_views.open_year, name="open_year"),
    path("healthz", health.healthz, name="healthz"),
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

admin.site.site_header = "partybuild 系统管理"
admin.site.site_title = "partybuild 系统管理"
