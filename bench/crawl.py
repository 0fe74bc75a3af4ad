"""Which pages to time: what each role reaches from `/` by its main navigation, and one level further.

For each role the crawler logs in with the Django test client, asks for `/`, and takes every link in
the main navigation (the `<nav class="navbar">` of base.html, dropdown items included). On each of
those pages it takes, in document order, the first link of every URL pattern it has not met yet
(the first branch detail, the first project, the first meeting, the first member...), so list pages
and one detail page of each kind are timed. Pages are told apart by their resolved pattern
(`resolve(path).route` plus the view name): a role never has two pages of one pattern, and no URL
is asked for twice.

Only GET requests are made. Left out: logout, the admin, the API, static and media files, what the
view name calls an export or a download, any URL that a `<form method="post">` on a crawled page
posts to, and a page that turns out not to be text/html (a file). A page whose own form posts back
to itself (create, edit, change password) is timed like any other: its GET is what a user waits for
before filling it in, and a form that offers thousands of choices is a slow page. A
redirect within the site is followed to the page it lands on (a menu entry such as 我的积分 leads to
the person's own page). A page that answers anything but 200 (403, 404, 500, a redirect to the
log-in page) stays in the list as an error, with its status.
"""

import re
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# The roles the bench times, with the demo accounts `seed_demo` creates for them (the 评审专家 account has no
# password: the crawl logs in without one).
ROLES = [
    ("gongwei", "工委"),
    ("jiguan", "机关党委"),
    ("shuji", "支部书记"),
    ("dangyuan", "党员"),
    ("pingshen1", "评审专家"),
]

# Paths never asked for, whatever links to them.
SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/media/")
# View names never asked for: logging out changes the session; exports and downloads are files, and
# an export may record who took it.
SKIP_NAME = re.compile(r"logout|export|download|attachment|evidence_file|print")
MAX_REDIRECTS = 3


@dataclass
class CrawledPage:
    """One page a role reaches: where it was found and how it answered the crawl's GET."""

    role: str
    url: str
    route: str
    view_name: str
    level: str  # "nav": a main-navigation link; "detail": found one level further
    found_on: str
    kwargs: dict = field(default_factory=dict)
    status: int | None = None
    error: str = ""
    via: str = ""  # the link that was followed, when it redirected here

    @property
    def key(self) -> tuple[str, str]:
        return (self.route, self.view_name)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Skipped:
    role: str
    url: str
    view_name: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


class PageLinks(HTMLParser):
    """Links of one HTML page: those inside the main navigation, the others, and POST form targets."""

    def __init__(self, base_url: str):
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.nav_links: list[str] = []
        self.other_links: list[str] = []
        self.post_targets: list[str] = []
        self._nav_depth = 0  # >0 while inside a main-navigation <nav>
        self._navs: list[bool] = []  # for each open <nav>: is it a main navigation?

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            main = "navbar" in (attrs.get("class") or "").split()
            self._navs.append(main)
            self._nav_depth += main
        elif tag == "a" and attrs.get("href"):
            (self.nav_links if self._nav_depth else self.other_links).append(attrs["href"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.post_targets.append(urljoin(self.base_url, attrs.get("action") or ""))

    def handle_endtag(self, tag):
        if tag == "nav" and self._navs:
            self._nav_depth -= self._navs.pop()


def local_path(base_url: str, href: str) -> str | None:
    """The site-local path (with its query) that `href` points to, or None for anything off the site."""
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    parts = urlsplit(urljoin(base_url, href))
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def skip_reason(path: str, view_name: str) -> str:
    """Why a local link is never asked for, or "" when it may be."""
    if path.startswith(SKIP_PREFIXES):
        return "admin/API/static"
    if SKIP_NAME.search(view_name):
        return "logout/export/download"
    return ""


def crawl_role(client, role: str, *, start: str = "/") -> tuple[list[CrawledPage], list[Skipped]]:
    """The pages `role` reaches from `start` through the main navigation and one level further.

    `client` is a logged-in Django test client. Returns the pages in crawl order (the start page first)
    and what was left out, with why.
    """
    from django.conf import settings
    from django.shortcuts import resolve_url
    from django.urls import Resolver404, resolve

    login = urlsplit(resolve_url(settings.LOGIN_URL)).path

    pages: list[CrawledPage] = []
    skipped: list[Skipped] = []
    seen_keys: set[tuple[str, str]] = set()
    asked: set[str] = set()
    post_targets: set[str] = set()
    links_of: dict[str, PageLinks] = {}

    def candidate(path: str, *, level: str, found_on: str) -> CrawledPage | None:
        split = urlsplit(path)
        try:
            match = resolve(split.path)
        except Resolver404:
            skipped.append(Skipped(role, path, "", "no URL pattern"))
            return None
        page = CrawledPage(role, path, match.route, match.view_name or "", level, found_on, dict(match.kwargs))
        if page.key in seen_keys:
            return None
        reason = skip_reason(split.path, page.view_name)
        if not reason and split.path in post_targets:
            reason = "POST form target"
        if reason:
            seen_keys.add(page.key)
            skipped.append(Skipped(role, path, page.view_name, reason))
            return None
        seen_keys.add(page.key)
        return page

    def fetch(page: CrawledPage) -> bool:
        """GET the page once; True when it is an HTML page to time (even one that answered an error).

        A redirect to another page of the site is followed (a menu entry such as 我的积分 sends each
        person to their own page): the page becomes the one landed on, unless that page's pattern is
        listed already. A redirect to the log-in page or off the site is an error.
        """
        assert page.url not in asked, page.url
        asked.add(page.url)
        response = client.get(page.url)
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            target = local_path(f"http://testserver{page.url}", response.get("Location", ""))
            if target is None or target in asked or urlsplit(target).path == login:
                break
            try:
                match = resolve(urlsplit(target).path)
            except Resolver404:
                break
            key = (match.route, match.view_name or "")
            if reason := skip_reason(urlsplit(target).path, key[1]):
                skipped.append(Skipped(role, page.url, page.view_name, f"redirects to {target}: {reason}"))
                return False
            if key in seen_keys and key != page.key:
                skipped.append(Skipped(role, page.url, page.view_name, f"redirects to {target}, listed already"))
                return False
            seen_keys.add(key)
            page.via = page.via or page.url
            page.url, page.route, page.view_name, page.kwargs = target, match.route, key[1], dict(match.kwargs)
            asked.add(target)
            response = client.get(target)
        page.status = response.status_code
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and not content_type.startswith("text/html"):
            skipped.append(Skipped(role, page.url, page.view_name, f"not HTML ({content_type.split(';')[0]})"))
            return False
        if response.status_code != 200:
            location = response.get("Location")
            page.error = f"HTTP {response.status_code}" + (f" → {location}" if location else "")
            return True
        parser = PageLinks(f"http://testserver{page.url}")
        parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
        links_of[page.url] = parser
        for target in parser.post_targets:
            if urlsplit(target).path != urlsplit(page.url).path:
                post_targets.add(urlsplit(target).path)
        return True

    home = candidate(start, level="nav", found_on="")
    if home is None or not fetch(home):
        return pages, skipped
    pages.append(home)
    nav_paths = []
    if home.url in links_of:
        nav_paths = [p for p in (local_path(f"http://testserver{start}", h) for h in links_of[home.url].nav_links) if p]
    nav_pages = [home]
    for path in nav_paths:
        page = candidate(path, level="nav", found_on=start)
        if page and fetch(page):
            pages.append(page)
            nav_pages.append(page)
    # One level further: the first link of each pattern not met yet, page by page in navigation order.
    for source in nav_pages:
        parser = links_of.get(source.url)
        if parser is None:
            continue
        base = f"http://testserver{source.url}"
        for href in parser.other_links:
            path = local_path(base, href)
            if path is None or path in asked:
                continue
            page = candidate(path, level="detail", found_on=source.url)
            if page is not None and fetch(page):
                pages.append(page)
    return pages, skipped


def crawl(users: dict, roles=ROLES) -> tuple[list[CrawledPage], list[Skipped]]:
    """Crawl every role whose user is in `users` ({username: user}); a role without its user is skipped."""
    from django.test import Client

    pages, skipped = [], []
    for username, _label in roles:
        user = users.get(username)
        if user is None:
            skipped.append(Skipped(username, "/", "", "no such demo account"))
            continue
        client = Client(raise_request_exception=False)
        client.force_login(user)
        try:
            found, left = crawl_role(client, username)
        finally:
            client.logout()  # the session the log-in made is deleted: the crawl leaves nothing behind
        pages += found
        skipped += left
    return pages, skipped
