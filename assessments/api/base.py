"""JSON API of the assessments app: 一岗双责 reports, the problem ledger, schemes and scores, rating
runs and results, 民主评议, 党员积分, 书记述职 and scorecard exports.

Every endpoint reaches its rows through the same scoping as the pages (`visible_to`, the pages'
fetch-and-authorize helpers) and every write calls the same service function as the page; the
serializers only check the shape of the input. The services' refusals become 409/400 answers in
`core.api.exception_handler`.
"""

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
)
from rest_framework import serializers, viewsets
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from core.api import XlsxFallbackMixin, XlsxRenderer

XLSX_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.BINARY, description="`?format=xlsx`：与页面导出相同的 Excel 文件（同样的筛选条件，全部行）。"
)
FILE_RESPONSE = OpenApiResponse(response=OpenApiTypes.BINARY, description="文件下载（附件）。")
NO_BODY = {204: None}
YEAR_PARAM = OpenApiParameter("year", int, description="年度")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _label(model, name: str):
    """A read-only field showing the display value of a choice field (`get_<name>_display`)."""
    return serializers.CharField(source=f"get_{name}_display", read_only=True)


def _state(help_text: str = ""):
    """Choice values in answers are plain strings (the labels come alongside), so that a choice set
    appears once in the schema, as the enum of the request that sets it."""
    return serializers.CharField(read_only=True, help_text=help_text)


class Viewset(XlsxFallbackMixin, viewsets.GenericViewSet):
    """What every viewset of this module shares: a typed body validated field by field, and JSON for
    any answer to `?format=xlsx` that is not an export."""

    def valid(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


XLSX_RENDERERS = [JSONRenderer, BrowsableAPIRenderer, XlsxRenderer]
