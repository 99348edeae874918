"""The JSON API against a real server: upload, read, list, downloads, and refusals."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import httpx
import pytest
from openpyxl import load_workbook

from tests.web.conftest import LAYOUT, PLATE, Lab, upload


@pytest.fixture(scope="module")
def analysis(lab: Lab) -> dict[str, object]:
    with lab.client("alice") as client:
        response = upload(client, "alpha", title="=cmd|' /C calc'!A0 plate")
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_upload_gives_ki_near_the_simulated_truth(analysis: dict[str, object]) -> None:
    # The example plate is simulated with Ki(balixafortide) = 1 nM (examples/binding/README.md).
    rows = {r["compound"]: r for r in analysis["results"]}  # type: ignore[attr-defined]
    bal = rows["balixafortide"]
    assert bal["ki_lower_nM"] < 1.0 < bal["ki_upper_nM"]
    assert analysis["input_names"] == ["layout96.toml", "plate96_run1.csv"]
    assert analysis["qc"]["passed"] is True  # type: ignore[index]


def test_detail_list_and_search(lab: Lab, analysis: dict[str, object]) -> None:
    with lab.client("alice") as client:
        got = client.get(f"/api/analyses/{analysis['id']}").json()
        assert got["results"] == analysis["results"]
        page = client.get("/api/analyses", params={"search": "PLATE96_run1", "per_page": 1}).json()
        assert page["total"] >= 1
        assert page["items"][0]["id"] == analysis["id"]
        none = client.get("/api/analyses", params={"search": "no such thing"}).json()
        assert none == {"items": [], "total": 0, "page": 1, "per_page": 25}


def test_csv_matches_the_api_and_escapes_formulas(lab: Lab, analysis: dict[str, object]) -> None:
    with lab.client("alice") as client:
        response = client.get(f"/api/analyses/{analysis['id']}/results.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("compound,n_points,ic50_nM")
    ki = float(first.split(",")[header.split(",").index("ki_nM")])
    expected = next(r for r in analysis["results"] if r["compound"] == first.split(",")[0])  # type: ignore[attr-defined]
    assert ki == pytest.approx(expected["ki_nM"], rel=1e-12)


def test_xlsx_escapes_formula_cells(lab: Lab) -> None:
    # A compound name that a spreadsheet would run: it must arrive as text starting with '.
    layout = LAYOUT[1].replace(b"balixafortide", b"=HYPERLINK(evil)")
    with lab.client("alice") as client:
        made = upload(client, "alpha", files={"plate": PLATE, "layout": ("l.toml", layout)})
        assert made.status_code == 201, made.text
        content = client.get(f"/api/analyses/{made.json()['id']}/results.xlsx").content
        csv_text = client.get(f"/api/analyses/{made.json()['id']}/results.csv").text
    sheet = load_workbook(io.BytesIO(content))["results"]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(evil)" in names
    assert all(not str(n).startswith("=") for n in names)
    assert "\n'=HYPERLINK(evil)," in csv_text


def test_report_and_compound_table(lab: Lab, analysis: dict[str, object]) -> None:
    with lab.client("alice") as client:
        report = client.get(f"/api/analyses/{analysis['id']}/report.html")
        compound = client.get("/api/compounds/balixafortide").json()
    assert report.status_code == 200 and "<html" in report.text.lower()
    mine = [p for p in compound["potencies"] if not p["published"] and p["parameter"] == "Ki"]
    assert any(p["source"].startswith(f"#{analysis['id']} ") for p in mine)
    assert any(p["published"] for p in compound["potencies"])


def test_no_login_is_401(lab: Lab) -> None:
    with lab.client() as client:
        assert client.get("/api/analyses").status_code == 401
        assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/api/health").json() == {"status": "ok"}


def test_another_projects_data_is_404(lab: Lab, analysis: dict[str, object]) -> None:
    aid = analysis["id"]
    with lab.client("bob") as bob:
        for path in ("", "/result", "/results.csv", "/results.xlsx", "/report.html"):
            assert bob.get(f"/api/analyses/{aid}{path}").status_code == 404, path
        assert bob.delete(f"/api/analyses/{aid}").status_code == 404
        assert upload(bob, "alpha").status_code == 404
        assert all(i["id"] != aid for i in bob.get("/api/analyses").json()["items"])
        mine = bob.get("/api/compounds/balixafortide").json()["potencies"]
        assert all(p["published"] for p in mine)
    with lab.client("alice") as alice:
        assert alice.get(f"/api/analyses/{aid}").status_code == 200


def test_oversize_upload_is_413_with_a_clear_message(lab: Lab) -> None:
    big = ("big.csv", b"A1,1\n" * (lab.settings.max_upload_bytes // 5 + 10))
    with lab.client("alice") as client:
        response = upload(client, "alpha", files={"plate": big, "layout": LAYOUT})
    assert response.status_code == 413
    assert "limit is 2 MiB" in response.json()["detail"]


def test_traversal_names_are_made_safe(lab: Lab) -> None:
    files = {"plate": ("../../etc/passwd.csv", PLATE[1]), "layout": ("..\\..\\x.toml", LAYOUT[1])}
    with lab.client("alice") as client:
        response = upload(client, "alpha", files=files)
    assert response.status_code == 201, response.text
    assert sorted(response.json()["input_names"]) == ["passwd.csv", "x.toml"]


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({"plate": ("p.xlsx", b"not a zip"), "layout": LAYOUT}, "p.xlsx"),
        ({"plate": ("p.exe", b"MZ\x00\x00"), "layout": LAYOUT}, "p.exe"),
        ({"plate": ("p.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "layout": LAYOUT}, "p.xls"),
        ({"plate": ("p.csv", b""), "layout": LAYOUT}, "p.csv"),
        ({"plate": PLATE, "layout": ("l.toml", b"\x00\x01binary")}, "l.toml"),
        ({"plate": ("p.csv", b"just,some\nwords,here\n"), "layout": LAYOUT}, "p.csv"),
        ({"plate": PLATE, "layout": ("l.toml", b"[well.A1\nconc = ")}, "l.toml"),
    ],
)
def test_bad_content_is_422_naming_the_file(
    lab: Lab, files: dict[str, tuple[str, bytes]], where: str
) -> None:
    with lab.client("alice") as client:
        response = upload(client, "alpha", files=files)
    assert response.status_code == 422, response.text
    assert where in response.json()["detail"]


def test_bad_concentration_is_422_naming_the_field(lab: Lab) -> None:
    with lab.client("alice") as client:
        response = upload(client, "alpha", kd="fast")
    assert response.status_code == 422
    assert response.json()["place"] == {"field": "kd"}


def test_cookie_writes_need_csrf(lab: Lab, analysis: dict[str, object]) -> None:
    with httpx.Client(base_url=lab.base) as browser:
        form = browser.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        bad = browser.post("/login", data={"username": "alice", "password": "x", "csrf": "no"})
        assert bad.status_code == 403
        done = browser.post(
            "/login", data={"username": "alice", "password": "correct horse battery", "csrf": csrf}
        )
        assert done.status_code == 303
        assert browser.get("/api/me").json()["name"] == "alice"
        # Without the CSRF token neither a form POST nor an API write goes through.
        assert browser.post("/logout", data={}).status_code == 403
        assert browser.delete(f"/api/analyses/{analysis['id']}").status_code == 403
        cookie = done.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_deleting_removes_it(lab: Lab) -> None:
    with lab.client("alice") as client:
        made = upload(client, "alpha", title="to delete").json()
        assert client.delete(f"/api/analyses/{made['id']}").status_code == 204
        assert client.get(f"/api/analyses/{made['id']}").status_code == 404


def test_oversize_streamed_body_without_length_is_413(lab: Lab) -> None:
    head = b'--x\r\nContent-Disposition: form-data; name="plate"; filename="p.csv"\r\n\r\n'

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(lab.settings.max_upload_bytes // 65536 + 2):
            yield b"A1,1\n" * 13107

    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/binding",
            content=body(),
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
    assert response.status_code == 413
    assert "upload too large" in response.json()["detail"]
