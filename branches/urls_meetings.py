"""三会一课 records; included inside the `branches` namespace by branches/urls.py."""

from django.urls import path

from .views import meetings as views_meetings

urlpatterns = [
    path("meetings/", views_meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", views_meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views_meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views_meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/delete/", views_meetings.meeting_delete, name="meeting_delete"),
    path("meetings/files/<slug:token>/", views_meetings.meeting_attachment, name="meeting_attachment"),
]
