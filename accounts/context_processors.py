from django.conf import settings
from django.utils import timezone

from .scope import scope_of


def roles(request):
    """Expose the user's scope to templates, so the navigation shows each role its pages."""
    user = getattr(request, "user", None)
    return {
        "scope": scope_of(user) if user is not None else None,
        "work_committee_name": settings.WORK_COMMITTEE_NAME,
        "now_year": timezone.localdate().year,
    }
