from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread(request):
    """The bell's unread count, computed only when a page renders the bell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    return {"unread_count": SimpleLazyObject(lambda: Notification.objects.for_user(user).unread().count())}
