"""The portal's own error answers: Chinese pages for people, Chinese JSON for API clients.

`partybuild/urls.py` names these as Django's handlers, so they answer whenever DEBUG is off;
`core.middleware.ErrorPagesMiddleware` calls the same ones under DEBUG, where Django would show its
English technical pages instead.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"

# What an API client reads for each failure, in the words the pages use.
NO_SUCH_ADDRESS = "接口地址不存在，请核对网址。"
NO_SUCH_RECORD = "记录不存在，或不在您的可见范围内。"
REFUSED = "您无权执行此操作。"
BAD_REQUEST = "请求无法处理，请检查后重试。"
SERVER_ERROR = "系统暂时出现错误，请稍后重试；如问题持续，请联系系统管理员。"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(detail: str, status: int) -> JsonResponse:
    # Readable Chinese, as DRF's own answers are.
    return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        return _json(NO_SUCH_ADDRESS, 404)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        # A refusal of the portal's rules carries its own Chinese reason (core.permissions).
        message = str(exception or "")
        return _json(message if has_chinese(message) else REFUSED, 403)
    return defaults.permission_denied(request, exception)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        return _json(BAD_REQUEST, 400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _json(SERVER_ERROR, 500)
    return defaults.server_error(request)


def has_chinese(text: str) -> bool:
    """Whether a message was written for the portal's users (Django's and DRF's untranslated ones are not)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
