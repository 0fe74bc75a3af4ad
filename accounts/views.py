"""The account's own page: who it is, the roles it holds and the history of their grants and revocations."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import RoleAssignment
from .selectors import role_history


@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/my_account.html",
        {
            "account": user,
            "roles": RoleAssignment.objects.filter(user=user).select_related("organ", "branch__organ").order_by("pk"),
            "role_history": role_history(user),
            "breadcrumbs": [("我的账号", None)],
        },
    )
