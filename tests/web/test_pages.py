"""Server-rendered pages over HTTP (no browser): login, list, search, pages, refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from markupsafe import escape

from cxcr4lab.runs import KINDS
from tests.web.conftest import BINDING_OPTIONS, LAYOUT, PASSWORD, PLATE, Lab, upload


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.fixture
def browser(lab: Lab) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.base, timeout=120) as client:
        page = client.get("/login")
        done = client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf": _csrf(page.text)}
        )
        assert done.status_code == 303
        yield client


def test_pages_need_a_login(lab: Lab) -> None:
    with httpx.Client(base_url=lab.base) as client:
        for path in (
            "/analyses",
            "/runs",
            "/runs/binding",
            "/analyses/1",
            "/compounds/balixafortide",
        ):
            response = client.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")


def test_the_old_upload_page_redirects_to_the_form_of_its_kind(lab: Lab) -> None:
    with httpx.Client(base_url=lab.base) as client:
        for query, form in (
            ("", "/runs/binding"),
            ("?kind=arrestin", "/runs/arrestin"),
            ("?kind=nothing", "/runs/binding"),
        ):
            response = client.get(f"/upload{query}")
            assert response.status_code == 303
            assert response.headers["location"] == form
        assert client.post("/upload", data={"project": "alpha"}).status_code == 405


def test_wrong_password_goes_back_to_the_login(lab: Lab) -> None:
    with httpx.Client(base_url=lab.base) as client:
        csrf = _csrf(client.get("/login").text)
        response = client.post(
            "/login", data={"username": "alice", "password": "wrong", "csrf": csrf}
        )
        assert response.status_code == 303 and "error=1" in response.headers["location"]
        assert client.get("/analyses").status_code == 303


def test_open_redirects_are_refused(lab: Lab) -> None:
    with httpx.Client(base_url=lab.base) as client:
        csrf = _csrf(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "csrf": csrf, "next": "//evil.test"},
        )
        assert response.headers["location"] == "/analyses"


def test_upload_page_list_search_and_analysis_page(lab: Lab, browser: httpx.Client) -> None:
    with lab.client("alice") as api:
        for i in range(3):
            assert upload(api, "alpha", title=f"page test <b>{i}</b>").status_code == 201
    listing = browser.get("/analyses", params={"q": "page test"})
    assert listing.status_code == 200
    assert listing.text.count("page test &lt;b&gt;") == 3  # escaped, never raw HTML
    assert "<b>0</b>" not in listing.text
    first_id = re.search(r'href="/analyses/(\d+)"', listing.text).group(1)  # type: ignore[union-attr]
    page = browser.get(f"/analyses/{first_id}")
    assert page.status_code == 200
    assert 'id="plot-curves"' in page.text and "/static/plotly.min.js" in page.text
    assert "https://" not in page.text.split("<main>")[0]  # no CDN
    assert "content-security-policy" in page.headers
    js = browser.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_pagination(lab: Lab, browser: httpx.Client) -> None:
    with lab.client("alice") as api:
        total = api.get("/api/analyses").json()["total"]
        pages = [api.get("/api/analyses", params={"per_page": 2, "page": p}).json() for p in (1, 2)]
    assert all(page["total"] == total for page in pages)
    ids = [i["id"] for page in pages for i in page["items"]]
    assert len(ids) == len(set(ids)) == min(4, total)
    listing = browser.get("/analyses").text
    assert f"{total} analys" in listing


def test_run_form_needs_csrf_and_reports_errors(lab: Lab, browser: httpx.Client) -> None:
    files = {"plate": PLATE, "layout": LAYOUT}
    refused = browser.post("/runs/binding", data={"project": "alpha"}, files=files)
    assert refused.status_code == 403
    wrong = browser.post(
        "/runs/binding", data={"project": "alpha", "csrf": "not the token"}, files=files
    )
    assert wrong.status_code == 403
    csrf = _csrf(browser.get("/runs/binding").text)
    form = {"project": "alpha", "csrf": csrf, **BINDING_OPTIONS}
    bad = browser.post(
        "/runs/binding", data=form, files={"plate": ("p.csv", b"a,b\n1,2\n"), "layout": LAYOUT}
    )
    assert bad.status_code == 422 and "p.csv" in bad.text
    assert '<p class="error" id="run-error">' in bad.text
    good = browser.post("/runs/binding", data=form, files=files)
    assert good.status_code == 303 and re.fullmatch(r"/analyses/\d+", good.headers["location"])


def test_the_runs_index_lists_every_kind(browser: httpx.Client) -> None:
    index = browser.get("/runs")
    assert index.status_code == 200
    for name, kind in KINDS.items():
        assert f'<a href="/runs/{name}">{name}</a>' in index.text, name
        assert str(escape(kind.label)) in index.text, name
        assert browser.get(f"/runs/{name}").status_code == 200, name
    assert 'href="/runs"' in browser.get("/analyses").text  # in the navigation


def test_the_example_of_a_kind_runs_and_is_stored(lab: Lab, browser: httpx.Client) -> None:
    example = KINDS["binding"].examples[0]
    csrf = _csrf(browser.get("/runs/binding").text)
    done = browser.post("/runs/binding/example", data={"project": "alpha", "csrf": csrf})
    assert done.status_code == 303
    location = done.headers["location"]
    assert re.fullmatch(r"/analyses/\d+", location), location
    page = browser.get(location)
    assert page.status_code == 200 and "balixafortide" in page.text
    with lab.client("alice") as api:
        stored = api.get(f"/api/analyses/{location.rsplit('/', 1)[1]}").json()
        mine = api.get("/api/me").json()["projects"]
        alpha = next(p["id"] for p in mine if p["name"] == "alpha")
    assert stored["kind"] == "binding" and stored["title"] == example.title
    assert stored["project_id"] == alpha
    assert sorted(stored["input_names"]) == sorted(example.files.values())


def test_the_example_needs_csrf_a_project_of_ones_own_and_a_known_kind(
    browser: httpx.Client,
) -> None:
    assert browser.post("/runs/binding/example", data={"project": "alpha"}).status_code == 403
    csrf = _csrf(browser.get("/runs/binding").text)
    wrong = browser.post("/runs/binding/example", data={"project": "alpha", "csrf": "x" + csrf})
    assert wrong.status_code == 403
    others = browser.post("/runs/binding/example", data={"project": "beta", "csrf": csrf})
    assert others.status_code == 404 and 'id="run-error"' in others.text
    unknown = browser.post("/runs/nothing/example", data={"project": "alpha", "csrf": csrf})
    assert unknown.status_code == 404


def test_compound_page_and_others_data(lab: Lab, browser: httpx.Client) -> None:
    index = browser.get("/compounds")
    assert index.status_code == 200 and 'href="/compounds/balixafortide"' in index.text
    page = browser.get("/compounds/balixafortide")
    assert page.status_code == 200 and "published" in page.text and "Ki" in page.text
    with lab.client("bob") as bob:
        made = upload(bob, "beta", title="bob only").json()
    hidden = browser.get(f"/analyses/{made['id']}")
    assert hidden.status_code == 404 and "bob only" not in hidden.text


def test_logout_ends_the_session(browser: httpx.Client) -> None:
    csrf = _csrf(browser.get("/runs").text)
    assert browser.post("/logout", data={"csrf": csrf}).status_code == 303
    assert browser.get("/analyses").status_code == 303
    assert browser.get("/api/me").status_code == 401
