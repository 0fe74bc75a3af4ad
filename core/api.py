"""What every JSON endpoint shares: errors, the Excel format, the router.

Workflow endpoints call the same service functions as the pages, so a refused step raises the
same error of `core.errors`; `exception_handler` turns it into an answer: an illegal transition is 409, a
refusal of who asks is 403, any other refusal the user can fix is 400, each with the Chinese message the
page would show.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from core import error_pages
from core.error_pages import has_chinese
from core.errors import DomainError, IllegalTransition
from core.excel import XLSX_CONTENT_TYPE

UNREADABLE = "请求内容无法解析，请检查格式（如 JSON 是否完整、引号是否成对）。"
# For a message neither the portal nor DRF's Chinese catalogue has: what the status means, in Chinese.
IN_CHINESE = {
    400: error_pages.BAD_REQUEST,
    401: "未登录或登录已失效，请重新登录或提供有效的令牌。",
    403: error_pages.REFUSED,
    404: error_pages.NO_SUCH_RECORD,
    405: "该接口不支持这种请求方法。",
    406: "该接口不提供所请求的格式。",
    409: "当前状态不允许此操作。",
    415: "不支持请求内容的格式。",
    429: "请求过于频繁，请稍后再试。",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "当前状态不允许此操作。"
    default_code = "illegal_transition"


def exception_handler(exc, context):
    """DRF's handler, after mapping the portal's error family (core.errors) to 409 / 403 / 400, and with every
    message in Chinese: Django's "No Project matches the given query." and DRF's untranslated texts included.

    (An error of an `?format=xlsx` request answers in JSON: see `XlsxFallbackMixin`.)
    """
    if isinstance(exc, IllegalTransition):
        exc = Conflict(str(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DomainError):
        exc = exceptions.ValidationError({"detail": [str(exc)]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    elif isinstance(exc, Http404):
        # A view's own Chinese reason stays; get_object_or_404's English one does not.
        exc = exceptions.NotFound(str(exc) if has_chinese(str(exc)) else error_pages.NO_SUCH_RECORD)
    elif isinstance(exc, exceptions.ParseError) and not has_chinese(str(exc.detail)):
        exc = exceptions.ParseError(UNREADABLE)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        detail = response.data.get("detail")
        if isinstance(detail, str) and not has_chinese(detail):
            response.data["detail"] = IN_CHINESE.get(response.status_code, error_pages.BAD_REQUEST)
    return response


class XlsxRenderer(BaseRenderer):
    """Lets `?format=xlsx` through content negotiation; the view answers with the page's own export."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        raise exceptions.NotAcceptable("该接口不提供 Excel 格式。")


class XlsxFallbackMixin:
    """For every viewset that offers `?format=xlsx`: a list answers with its own export (bytes); any
    other answer — an error, a detail, an action without an export — goes out as JSON rather than
    failing in the Excel renderer."""

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if (
            isinstance(response, Response)
            and isinstance(renderer, XlsxRenderer)
            and not isinstance(response.data, bytes)
        ):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def wants_xlsx(request) -> bool:
    """`?format=xlsx` on a list: the view answers with the page's own Excel export of the same rows."""
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == "xlsx"


# Errors every endpoint may answer, for the schema.
ERRORS = {
    400: OpenApiResponse(description="输入有误：逐字段列出原因（中文）。"),
    401: OpenApiResponse(description="未登录或令牌无效。"),
    403: OpenApiResponse(description="无权执行此操作。"),
    404: OpenApiResponse(description="不存在，或不在您的可见范围内。"),
}
TRANSITION_ERRORS = {**ERRORS, 409: OpenApiResponse(description="当前状态不允许此操作（中文说明）。")}


# Each app's `api.py` registers its viewsets here; partybuild/urls_api.py imports them all.
router = DefaultRouter(trailing_slash=True)
