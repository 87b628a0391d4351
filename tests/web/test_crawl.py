"""Crawl the HTML UI as each role: every same-site link reachable from the home page by GET.

A link that 404s is a broken link; a 5xx, a Python traceback, a page without ``<html lang="ja">`` or
without a ``<title>`` is a bug a municipal user would trip over. The operator must never reach a page
under ``/m/`` (operators hold no municipality data).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from lgcloud.residents.demo import seed_demo_residents

MAX_PAGES = 120  # per role
MAX_PER_PATH = 3  # query-string variants of one path (pagers, filters, sort orders)
MAX_PER_SHAPE = 4  # paths that differ only in an id (宛名番号, job or item number): a few of each
ID = re.compile(r"/(?:\d{7,}|[0-9a-f]{16,}|[0-9a-f-]{36})(?=/|$)")
SKIP_PATHS = ("/logout",)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


#: Pages each role must be able to reach by links alone (the top navigation and the home page).
REACHABLE = {
    "clerk": ["residents", "certificates", "linkage/inbox", "moji"],
    "supervisor": ["residents", "certificates", "protection", "linkage/inbox", "moji"],
    "admin": ["residents", "moji", "migration", "linkage", "users", "tokens", "/operator/analytics"],
    "auditor": ["audit"],
    "operator": ["/operator/", "/operator/analytics", "/operator/analytics/apportion", "/moji"],
}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.lang: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "html":
            self.lang = attr.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "a" and attr.get("href"):
            self.links.append(str(attr["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _crawl(client, starts: list[str]) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Breadth-first from ``starts``; returns (visited paths, problems)."""
    problems: list[str] = []
    visited: list[str] = []
    seen: set[str] = set()
    per_path: Counter[str] = Counter()
    per_shape: Counter[str] = Counter()
    queue: deque[tuple[str, str]] = deque((url, "(start)") for url in starts)
    while queue and len(visited) < MAX_PAGES:
        url, source = queue.popleft()
        parts = urlsplit(url)
        key = parts.path + ("?" + parts.query if parts.query else "")
        if key in seen or parts.path in SKIP_PATHS:
            continue
        if parts.query and per_path[parts.path] >= MAX_PER_PATH:
            continue
        shape = ID.sub("/{id}", parts.path)
        if shape != parts.path and per_shape[shape] >= MAX_PER_SHAPE:
            continue
        seen.add(key)
        per_path[parts.path] += 1
        per_shape[shape] += 1
        response = client.get(key)
        visited.append(key)
        where = f"{key} (linked from {source})"
        if response.status_code >= 500:
            problems.append(f"{response.status_code} at {where}")
            continue
        if response.status_code == 404:
            problems.append(f"broken link: 404 at {where}")
            continue
        final = urlsplit(str(response.url))
        if final.path == "/login":
            problems.append(f"sent back to the login page at {where}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # downloads (CSV, PDF, fonts …): fetched, not parsed
        text = response.text
        if TRACEBACK.search(text):
            problems.append(f"Python traceback shown at {where}")
        page = _Page()
        page.feed(text)
        if page.lang != "ja":
            problems.append(f'no <html lang="ja"> at {where} (lang={page.lang!r})')
        if not page.title.strip():
            problems.append(f"empty or missing <title> at {where}")
        base = final.path + ("?" + final.query if final.query else "")
        for href in page.links:
            if href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            target = urlsplit(urljoin("http://testserver" + base, href))
            if target.netloc != "testserver":
                continue  # another site
            queue.append((target.path + ("?" + target.query if target.query else ""), key))
    return visited, problems


@pytest.mark.parametrize("role", ["clerk", "admin", "supervisor", "auditor", "operator"])
def test_every_reachable_page_works(role: str, login_as, tenants, database) -> None:  # type: ignore[no-untyped-def]
    seed_demo_residents(database, tenants.a, 30, seed=1)
    client = login_as(role)
    home = client.get("/")
    assert home.status_code == 200, home.text
    starts = [urlsplit(str(home.url)).path]
    if role in ("clerk", "admin", "supervisor"):
        # Search results are behind a form, not a link: start from two result lists as well so the
        # crawl reaches person pages, their history and the 異動 forms.
        starts += [f"/m/{tenants.a}/residents?sex=1", f"/m/{tenants.a}/residents?sex=2"]
    visited, problems = _crawl(client, starts)
    assert not problems, "\n".join(problems)
    assert len(visited) > 1, visited
    paths = {p.split("?")[0] for p in visited}
    for page in REACHABLE[role]:
        path = page if page.startswith("/") else f"/m/{tenants.a}/{page}"
        assert path in paths, f"{role} cannot reach {path} by links"
    if role == "operator":
        assert not [p for p in visited if p.startswith("/m/")], visited
    else:
        assert all(not p.startswith("/m/") or p.startswith(f"/m/{tenants.a}/") for p in visited), visited
