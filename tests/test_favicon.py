"""The portal's icon: every page names it, and /favicon.ico (asked for by pages that name none) finds it."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

ICO_MAGIC = b"\x00\x00\x01\x00"


def icon_links(html: str) -> list[str]:
    return re.findall(r'<link rel="icon" href="([^"]+)"', html)


def static_file(url: str) -> bytes:
    path = finders.find(url.removeprefix("/static/"))
    assert path, f"{url} is not a static file"
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.django_db
def test_every_page_names_an_icon_that_exists(client, secretary_of_branch_a):
    login_page = client.get(reverse("accounts:login"))
    client.force_login(secretary_of_branch_a)
    home = client.get(reverse("home"))

    for response in (login_page, home):
        links = icon_links(response.content.decode())
        assert any(link.endswith(".svg") for link in links) and any(link.endswith(".ico") for link in links)
        for link in links:
            assert static_file(link)


@pytest.mark.django_db
def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert static_file(response["Location"]).startswith(ICO_MAGIC)


@pytest.mark.parametrize("template", ["400.html", "500.html"])
def test_the_standalone_error_pages_name_the_icon_too(template):
    assert icon_links(render_to_string(template)) == ["/favicon.ico"]
