"""What every JSON endpoint shares: errors, pagination, the Excel format, tokens, the router.

Workflow endpoints call the same service functions as the pages, so a refused step raises the
same domain error; `exception_handler` turns it into an answer: an illegal transition is 409, any
other refusal the user can fix is 400, both with the Chinese message the page would show.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from accounts import throttle
from core.excel import XLSX_CONTENT_TYPE


def _conflict_errors() -> tuple[type[Exception], ...]:
    """Steps refused because of the record's state: the client must reload, not fix its input."""
    from assessments import ledger, ratings, reports
    from projects import services as project_services

    return (
        project_services.IllegalTransition,
        reports.IllegalTransition,
        ledger.IllegalTransition,
        ratings.RunConflict,
    )


def _input_errors() -> tuple[type[Exception], ...]:
    """Steps refused because of what was sent; the message says what to change."""
    from accounts.services import AccountError
    from assessments.appraisal import AppraisalError
    from assessments.ledger import LedgerError
    from assessments.points import PointsError
    from assessments.ratings import RatingError
    from assessments.reports import ReportError
    from assessments.schemes import SchemeError
    from assessments.scorecards import ScorecardError
    from assessments.scores import ScoreError
    from assessments.secretary import SecretaryReportError
    from branches.meetings import MeetingError
    from branches.orglife import OrgLifeError
    from branches.roster import RosterFileError, RosterImportError
    from branches.services import OrganisationError
    from core.uploads import UploadRejected
    from projects.services import ProjectError

    return (
        AccountError,
        AppraisalError,
        LedgerError,
        PointsError,
        RatingError,
        ReportError,
        SchemeError,
        ScorecardError,
        ScoreError,
        SecretaryReportError,
        MeetingError,
        OrgLifeError,
        RosterFileError,
        RosterImportError,
        OrganisationError,
        UploadRejected,
        ProjectError,
    )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "当前状态不允许此操作。"
    default_code = "illegal_transition"


def exception_handler(exc, context):
    """DRF's handler, after mapping the portal's own errors to 409 / 400 / 403.

    (An error of an `?format=xlsx` request answers in JSON: see `XlsxFallbackMixin`.)
    """
    if isinstance(exc, _conflict_errors()):
        exc = Conflict(str(exc))
    elif isinstance(exc, _input_errors()):
        exc = exceptions.ValidationError({"detail": [str(exc)]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


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


@extend_schema(
    summary="用账号和密码换取 API 令牌",
    request=AuthTokenSerializer,
    responses={
        200: inline_serializer("TokenAnswer", {"token": serializers.CharField()}),
        400: OpenApiResponse(description="账号或密码不正确。"),
        429: OpenApiResponse(description="尝试过于频繁，请稍后再试。"),
    },
    examples=[OpenApiExample("请求", value={"username": "gongwei", "password": "******"}, request_only=True)],
    auth=[],
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([ScopedRateThrottle])
def obtain_token(request):
    username = str(request.data.get("username", ""))
    address = throttle.client_address(request)
    lockout = throttle.locked_out(username, address)
    if lockout is not None:
        raise exceptions.Throttled(detail=lockout.message)
    serializer = AuthTokenSerializer(data=request.data, context={"request": request})
    if not serializer.is_valid():
        throttle.record_failure(username, address)
        raise exceptions.ValidationError(serializer.errors)
    throttle.record_success(username, address)
    token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
    return Response({"token": token.key})


obtain_token.cls.throttle_scope = "token"


@extend_schema(summary="注销本人的 API 令牌", request=None, responses={204: None, **ERRORS})
@api_view(["DELETE"])
@permission_classes([IsAuthenticated])
def revoke_own_token(request):
    Token.objects.filter(user=request.user).delete()
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="注销某账号的 API 令牌（工委或该账号的管理人）",
    parameters=[],
    request=None,
    responses={204: None, **ERRORS},
)
@api_view(["DELETE"])
@permission_classes([IsAuthenticated])
def revoke_user_token(request, user_id: int):
    from accounts.access import get_account_for_manager

    user = get_account_for_manager(request.user, user_id, write=True)
    Token.objects.filter(user=user).delete()
    return Response(status=status.HTTP_204_NO_CONTENT)


# Each app's `api.py` registers its viewsets here; partybuild/urls_api.py imports them all.
router = DefaultRouter(trailing_slash=True)
