"""The API's log-in: tokens in exchange for a password, and their revocation."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.api import ERRORS

from . import throttle
from .access import get_account_for_manager


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
    user = get_account_for_manager(request.user, user_id, write=True)
    Token.objects.filter(user=user).delete()
    return Response(status=status.HTTP_204_NO_CONTENT)
