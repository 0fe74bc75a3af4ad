"""Security headers Django 5.2 does not set itself."""

from django.conf import settings


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
