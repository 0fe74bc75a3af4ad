"""The OpenAPI schema: valid, complete (every URL under /api/ is in it, every operation has a
summary and documents its errors), served offline, and a bounded property-based run of the
schema against the app finds no server errors."""

import re

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from partybuild.wsgi import application

# Served by the schema views themselves, or the router's browsable index: not API operations.
NOT_OPERATIONS = {"/api/", "/api/schema/", "/api/docs/"}
METHODS = ("get", "post", "put", "patch", "delete")


def _api_paths() -> set[str]:
    """Every concrete URL pattern under /api/, written as OpenAPI paths ({name} for parameters)."""
    found = set()

    def walk(patterns, prefix: str):
        for p in patterns:
            regex = p.pattern.regex.pattern if hasattr(p.pattern, "regex") else str(p.pattern)
            part = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + part)
            elif isinstance(p, URLPattern):
                path = prefix + part
                if "(?P<format>" in regex or "\\.(?P<format>" in path:
                    continue  # format-suffix twins of the same operation
                path = re.sub(r"\(\?P<(\w+)>[^)]*\)", "{}", path)
                path = re.sub(r"<(?:\w+:)?(\w+)>", "{}", path)
                path = path.replace("^", "").replace("$", "")
                found.add("/" + path)

    walk(get_resolver().url_patterns, "")
    return {p for p in found if p.startswith("/api/") and p not in NOT_OPERATIONS}


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def _shape(path: str) -> str:
    """A path with its parameters unnamed: the schema calls a router's `pk` by the field's name."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_api_url_is_in_the_schema(openapi):
    missing = _api_paths() - {_shape(p) for p in openapi["paths"]}
    assert not missing, f"不在 OpenAPI 中的接口：{sorted(missing)}"
    assert len(openapi["paths"]) >= 3


def test_every_operation_has_a_chinese_summary_and_documents_its_errors(openapi):
    problems = []
    for path, item in openapi["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if not re.search(r"[\u4e00-\u9fff]", operation.get("summary", "")):
                problems.append(f"{method.upper()} {path}: 缺少中文摘要")
            codes = set(operation.get("responses", {}))
            if not codes & {"400", "401", "403", "404", "409", "429"}:
                problems.append(f"{method.upper()} {path}: 未说明错误响应")
    assert not problems, "\n".join(problems)


def test_the_docs_are_served_from_this_server(client, gongwei_staff):
    client.force_login(gongwei_staff)
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower() and "//unpkg" not in page
    assert client.get("/api/schema/").status_code == 200


@pytest.fixture
def wsgi_requests_keep_the_test_connection():
    """Calling the WSGI app directly (not through Django's test client) would close the test's
    database connection after each request; the test client avoids it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(gongwei_staff):
    return Token.objects.create(user=gongwei_staff).key


# Built at import from the same generator that serves /api/schema/ (schemathesis's lazy fixture
# loader does not work with this pytest), and called in-process through the WSGI app.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_generated_request_makes_the_server_fail(
    case, token, wsgi_requests_keep_the_test_connection, branch_a, organ_staff_a, secretary_of_branch_a
):
    """Random but schema-shaped requests as the 工委 (who may reach every endpoint) never answer 5xx."""
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error])


def test_building_the_schema_leaves_the_filters_choices_live(client, gongwei_staff, organ_a):
    """The generator builds each filter's form field on the class; a list must still offer the
    choices of the moment (this year, the organs the user sees) afterwards."""
    SchemaGenerator().get_schema(request=None, public=True)
    client.force_login(gongwei_staff)
    response = client.get("/api/projects/", {"year": str(timezone.localdate().year), "organ": organ_a.pk})
    assert response.status_code == 200, response.content
    assert client.get("/api/members/", {"organ": organ_a.pk}).status_code == 200
