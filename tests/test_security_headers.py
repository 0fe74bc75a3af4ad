"""Security headers on every page, and templates that keep the CSP enforceable (no inline scripts)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/public/", "/healthz"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_logged_in_pages_carry_it_too(client, gongwei_staff):
    client.force_login(gongwei_staff)
    assert "script-src 'self'" in client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/api/docs/")["Content-Security-Policy"]


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(re.sub(r"\{[{%#].*?[}%#]\}", "", text)):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert not offenders, f"这些模板含内联脚本或事件属性，会被 CSP 拦截：{offenders}"


def test_the_api_docs_load_their_start_up_script_from_a_file(client, gongwei_staff):
    client.force_login(gongwei_staff)
    page = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page)


@pytest.mark.django_db
def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(secretary_of_branch_a, branch_a):
    from django.test import Client

    from branches.models import Member

    client = Client(enforce_csrf_checks=True)
    client.force_login(secretary_of_branch_a)
    before = Member.objects.count()
    response = client.post(reverse("branches:member_create") + f"?branch={branch_a.pk}", {"name": "伪造"})
    assert response.status_code == 403
    assert Member.objects.count() == before
    # The same form, fetched first, carries the token a real browser would send back.
    assert (
        'name="csrfmiddlewaretoken"'
        in client.get(reverse("branches:member_create") + f"?branch={branch_a.pk}").content.decode()
    )
