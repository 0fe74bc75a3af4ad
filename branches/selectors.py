"""What the pages and the API read about the roster and committees, written once."""

from django.db.models import Case, When

from .choices import CommitteePost
from .models import Member

# 书记 first, then 副书记 and the 委员 in the order the choices list them.
POST_ORDER = Case(*[When(post=post, then=i) for i, post in enumerate(CommitteePost.values)])


def member_queryset(user):
    """The roster rows a user may see, ready for the list, the filter and the export."""
    return Member.objects.visible_to(user).select_related("branch__organ", "organ", "party_group")
