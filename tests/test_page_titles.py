"""Every page's browser title is the page's own title, then the portal's name."""

import re

from django.urls import reverse

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title_of(response) -> str:
    return TITLE.search(response.content.decode()).group(1).strip()


def test_a_page_title_names_the_page_then_the_portal(client_for, gongwei_staff):
    client = client_for(gongwei_staff)

    assert title_of(client.get(reverse("branches:branch_list"))) == "党支部 · 机关党建管理平台"
    assert title_of(client.get("/no-such-page/")) == "页面不存在 · 机关党建管理平台"
