"""Security headers Django 5.2 does not set itself, and the portal's error pages under DEBUG."""

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.utils.log import log_response

from . import error_pages


class ContentSecurityPolicyMiddleware:
    """Sends the portal's Content-Security-Policy on every response that has none of its own.

    Scripts come only from this server (no inline scripts or handlers anywhere in the templates,
    which a test enforces), so an injected `<script>` does not run even if escaping were missed.
    File downloads set a stricter policy of their own (`sandbox`) and keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response


class ErrorPagesMiddleware:
    """Under DEBUG, answers a missing page and a server error with the portal's own Chinese pages (or JSON under
    /api/), as production does, instead of Django's English technical pages with the URL list.

    Without DEBUG it does nothing: Django calls the same handlers (`partybuild/urls.py`). A server error is still
    logged with its traceback (the console of `make run`), and raised again in the test client.
    Placed last, so that the pages it renders have the user, the messages and the security headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            # The address matched no URL: Django answered with its technical page before any view ran.
            return error_pages.page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if not settings.DEBUG or isinstance(exception, PermissionDenied | BadRequest | SuspiciousOperation):
            # Django's own answer: the portal's 403 page even under DEBUG; a malformed request keeps the
            # technical page, which says which setting refused it.
            return None
        if isinstance(exception, Http404):
            return error_pages.page_not_found(request, exception)
        signals.got_request_exception.send(sender=None, request=request)
        response = error_pages.server_error(request)
        log_response(
            "%s: %s", response.reason_phrase, request.path, response=response, request=request, exception=exception
        )
        return response
