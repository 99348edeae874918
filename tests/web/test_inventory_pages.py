"""The inventory in the web app: the page and its forms (login, CSRF), the JSON API (projects
keep stocks apart), and an analysis whose layout names an expired aliquot carrying the flag."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.web.conftest import LAYOUT, PASSWORD, PLATE, Lab, upload


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


def _stock(lot: str, labels: list[str], **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "project": "alpha",
        "compound": "POL6326",
        "lot": lot,
        "form": "solution",
        "solvent": "water",
        "concentration": "10 mM",
        "peptide_content": 0.82,
        "salt_form": "acetate",
        "prepared_on": "2026-01-05",
        "storage_temperature_C": -80,
        "aliquots": [{"label": label, "volume": "50 µL"} for label in labels],
    }
    body.update(extra)
    return body


def test_the_page_needs_a_login(lab: Lab) -> None:
    with httpx.Client(base_url=lab.base) as client:
        response = client.get("/inventory")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
        assert client.get("/api/inventory/stocks").status_code == 401


def test_api_round_trip_and_projects_keep_stocks_apart(lab: Lab) -> None:
    with lab.client("alice") as alice, lab.client("bob") as bob:
        made = alice.post("/api/inventory/stocks", json=_stock("API-1", ["API-1-A1", "API-1-A2"]))
        assert made.status_code == 201, made.text
        stock = made.json()
        assert stock["compound"] == "balixafortide"
        assert stock["expires_on"] == "2027-01-05"  # -80 °C solution: 12 months
        assert "use within 12 months" in stock["expiry_source"]
        listed = alice.get("/api/inventory/aliquots", params={"stock_id": stock["id"]}).json()
        assert [a["label"] for a in listed] == ["API-1-A1", "API-1-A2"]
        assert all(a["check"]["state"] in ("ok", "expired") for a in listed)

        thawed = alice.post("/api/inventory/aliquots/API-1-A1/thaw")
        assert thawed.status_code == 200 and thawed.json()["freeze_thaw_count"] == 1

        # bob sees none of alpha's stocks and can change none of them
        assert all(s["lot"] != "API-1" for s in bob.get("/api/inventory/stocks").json())
        assert bob.get("/api/inventory/aliquots/API-1-A1").status_code == 404
        assert bob.post("/api/inventory/aliquots/API-1-A1/thaw").status_code == 404
        extra = {"stock_id": stock["id"], "label": "BOB-1", "volume": "5 µL"}
        assert bob.post("/api/inventory/aliquots", json=extra).status_code == 404
        assert bob.post("/api/inventory/stocks", json=_stock("B", [])).status_code == 404

        more = alice.post(
            "/api/inventory/aliquots",
            json={"stock_id": stock["id"], "label": "API-1-A3", "volume": "20 uL"},
        )
        assert more.status_code == 201 and more.json()["volume_uL"] == pytest.approx(20)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prepared_on": "2999-01-01"}, "prepared_on"),
        ({"compound": "aspirin"}, "compound"),
        ({"concentration": "-1 mM"}, "concentration"),
        ({"storage_temperature_C": 4}, "storage_temperature_c"),
    ],
)
def test_api_refusals_name_the_field_and_leave_nothing(
    lab: Lab, change: dict[str, object], field: str
) -> None:
    with lab.client("alice") as alice:
        before = len(alice.get("/api/inventory/stocks").json())
        response = alice.post("/api/inventory/stocks", json=_stock("BAD", ["BAD-A1"], **change))
        assert response.status_code == 422, response.text
        assert response.json()["place"]["field"] == field
        assert len(alice.get("/api/inventory/stocks").json()) == before


def test_a_duplicate_label_is_refused_and_nothing_is_written(lab: Lab) -> None:
    with lab.client("alice") as alice:
        assert (
            alice.post("/api/inventory/stocks", json=_stock("DUP-1", ["DUP-A1"])).status_code == 201
        )
        before = len(alice.get("/api/inventory/stocks").json())
        again = alice.post("/api/inventory/stocks", json=_stock("DUP-2", ["DUP-A2", "DUP-A1"]))
        assert again.status_code == 422
        assert again.json()["place"]["field"] == "aliquots[1].label"
        assert len(alice.get("/api/inventory/stocks").json()) == before
        assert alice.get("/api/inventory/aliquots/DUP-A2").status_code == 404


def test_cookie_writes_need_the_csrf_header(lab: Lab, browser: httpx.Client) -> None:
    refused = browser.post("/api/inventory/stocks", json=_stock("CSRF", []))
    assert refused.status_code == 403
    token = _csrf(browser.get("/inventory").text)
    done = browser.post(
        "/api/inventory/stocks", json=_stock("CSRF", []), headers={"X-CSRF-Token": token}
    )
    assert done.status_code == 201


def test_the_page_lists_adds_and_thaws(lab: Lab, browser: httpx.Client) -> None:
    page = browser.get("/inventory")
    assert page.status_code == 200 and 'id="stock-form"' in page.text
    token = _csrf(page.text)
    form = {
        "project": "alpha",
        "compound": "balixafortide",
        "lot": "PAGE-1",
        "form": "solution",
        "solvent": "water",
        "concentration": "1 mg/mL",
        "peptide_content": "0.8",
        "salt_form": "TFA salt",
        "prepared_on": "2026-02-01",
        "storage_temperature_C": "-20",
        "aliquots": "PAGE-1-A1=25 µL\nPAGE-1-A2=25 µL",
    }
    assert browser.post("/inventory/stocks", data=form).status_code == 403  # no CSRF token
    done = browser.post("/inventory/stocks", data={**form, "csrf": token})
    assert done.status_code == 303
    shown = browser.get("/inventory").text
    assert 'id="aliquot-PAGE-1-A1"' in shown and "PAGE-1" in shown
    assert "1 mg/mL" in shown and "TFA salt" in shown
    # -20 °C from 2026-02-01: use within 1 month, so expired on the page
    row = re.search(r'<tr id="aliquot-PAGE-1-A1" class="status-(\w[\w-]*)"', shown)
    assert row is not None and row.group(1) == "expired"
    thaw = browser.post("/inventory/aliquots/PAGE-1-A2/thaw", data={"csrf": token})
    assert thaw.status_code == 303
    with lab.client("alice") as alice:
        assert alice.get("/api/inventory/aliquots/PAGE-1-A2").json()["freeze_thaw_count"] == 1
    assert browser.post("/inventory/aliquots/PAGE-1-A2/thaw", data={}).status_code == 403


def test_a_bad_form_is_shown_again_with_the_error(lab: Lab, browser: httpx.Client) -> None:
    token = _csrf(browser.get("/inventory").text)
    form = {
        "csrf": token,
        "project": "alpha",
        "compound": "balixafortide",
        "lot": "PAGE-BAD",
        "form": "solution",
        "solvent": "water",
        "concentration": "10 mM",
        "prepared_on": "2026-02-01",
        "storage_temperature_C": "4",
        "aliquots": "",
    }
    response = browser.post("/inventory/stocks", data=form)
    assert response.status_code == 422
    assert 'id="inventory-error"' in response.text and "no storage rule" in response.text
    assert 'value="PAGE-BAD"' in response.text  # the form keeps what was typed


def test_an_analysis_naming_an_expired_aliquot_carries_the_flag(lab: Lab) -> None:
    with lab.client("alice") as alice:
        made = alice.post(
            "/api/inventory/stocks",
            json=_stock(
                "OLD-1",
                [],
                prepared_on="2025-01-02",
                aliquots=[
                    {
                        "label": "OLD-1-A1",
                        "volume": "50 µL",
                        "prepared_on": "2025-01-02",
                        "storage_temperature_C": -20,
                    }
                ],
            ),
        )
        assert made.status_code == 201, made.text
        name, layout = LAYOUT
        named = b'aliquot = "OLD-1-A1"\n' + layout
        response = upload(alice, "alpha", files={"plate": PLATE, "layout": (name, named)})
        assert response.status_code == 201, response.text
        parameters = response.json()["parameters"]
        assert parameters["aliquots"][0]["state"] == "expired"
        assert parameters["aliquot_flags"] == [
            "aliquot OLD-1-A1 expired: " + parameters["aliquots"][0]["reason"]
        ]
        page_id = response.json()["id"]
    with httpx.Client(base_url=lab.base, timeout=120) as client:
        login = client.get("/login")
        client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf": _csrf(login.text)}
        )
        page = client.get(f"/analyses/{page_id}").text
        assert 'id="aliquots"' in page and "OLD-1-A1" in page and "expired" in page


def _lifecycle(lab: Lab, label: str) -> str:
    with lab.client("alice") as alice:
        status: str = alice.get(f"/api/inventory/aliquots/{label}").json()["status"]
        return status


def test_the_page_marks_an_aliquot_empty_or_discarded(lab: Lab, browser: httpx.Client) -> None:
    with lab.client("alice") as alice:
        made = alice.post(
            "/api/inventory/stocks", json=_stock("MARK-1", ["MARK-1-A1", "MARK-1-A2"])
        )
        assert made.status_code == 201, made.text
    page = browser.get("/inventory").text
    assert 'action="/inventory/aliquots/MARK-1-A1/mark"' in page
    token = _csrf(page)
    no_token = browser.post("/inventory/aliquots/MARK-1-A1/mark", data={"status": "empty"})
    assert no_token.status_code == 403  # no CSRF token: refused, nothing written
    assert _lifecycle(lab, "MARK-1-A1") == "available"
    done = browser.post(
        "/inventory/aliquots/MARK-1-A1/mark", data={"csrf": token, "status": "empty"}
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/inventory")
    assert _lifecycle(lab, "MARK-1-A1") == "empty"
    shown = browser.get("/inventory").text
    row = re.search(r'<tr id="aliquot-MARK-1-A1".*?</tr>', shown, re.S)
    assert row is not None
    assert '<option value="empty" selected>' in row.group(0)
    assert "Record a thaw" not in row.group(0)  # an empty aliquot cannot be thawed
    # and back to available
    again = browser.post(
        "/inventory/aliquots/MARK-1-A1/mark", data={"csrf": token, "status": "available"}
    )
    assert again.status_code == 303 and _lifecycle(lab, "MARK-1-A1") == "available"

    # a status the store does not know: one 422 naming the field, nothing changed
    bad = browser.post("/inventory/aliquots/MARK-1-A2/mark", data={"csrf": token, "status": "lost"})
    assert bad.status_code == 422
    error = re.search(r'<p class="error" id="inventory-error">(.*?)</p>', bad.text, re.S)
    assert error is not None and error.group(1).startswith("status: must be one of")
    assert _lifecycle(lab, "MARK-1-A2") == "available"

    # bob cannot mark alice's aliquot, by the page or the API
    with httpx.Client(base_url=lab.base, timeout=120) as client:
        login = client.get("/login")
        client.post(
            "/login", data={"username": "bob", "password": PASSWORD, "csrf": _csrf(login.text)}
        )
        bob_token = _csrf(client.get("/inventory").text)
        assert 'id="aliquot-MARK-1-A2"' not in client.get("/inventory").text
        refused = client.post(
            "/inventory/aliquots/MARK-1-A2/mark", data={"csrf": bob_token, "status": "discarded"}
        )
        assert refused.status_code == 404
    assert _lifecycle(lab, "MARK-1-A2") == "available"


def test_the_api_marks_an_aliquot(lab: Lab, browser: httpx.Client) -> None:
    with lab.client("alice") as alice, lab.client("bob") as bob:
        made = alice.post("/api/inventory/stocks", json=_stock("MARK-2", ["MARK-2-A1"]))
        assert made.status_code == 201, made.text
        url = "/api/inventory/aliquots/MARK-2-A1/mark"
        assert bob.post(url, json={"status": "discarded"}).status_code == 404
        bad = alice.post(url, json={"status": "gone"})
        assert bad.status_code == 422 and bad.json()["place"]["field"] == "status"
        assert alice.get("/api/inventory/aliquots/MARK-2-A1").json()["status"] == "available"
        done = alice.post(url, json={"status": "discarded"})
        assert done.status_code == 200 and done.json()["status"] == "discarded"
        assert alice.post("/api/inventory/aliquots/MARK-2-A1/thaw").status_code == 422
    # with the session cookie, the X-CSRF-Token header is needed
    assert browser.post(url, json={"status": "available"}).status_code == 403
    assert _lifecycle(lab, "MARK-2-A1") == "discarded"


def _weigh_form(token: str, **change: str) -> dict[str, str]:
    form = {
        "csrf": token,
        "compound": "balixafortide",
        "concentration": "10",
        "concentration_unit": "mM",
        "volume": "1",
        "volume_unit": "mL",
        "peptide_content": "0.8",
    }
    return form | change


def test_the_weigh_form_gives_the_mass_the_cli_gives(lab: Lab, browser: httpx.Client) -> None:
    token = _csrf(browser.get("/inventory").text)
    assert browser.post("/inventory/weigh", data=_weigh_form("")).status_code == 403
    response = browser.post("/inventory/weigh", data=_weigh_form(token))
    assert response.status_code == 200
    # as tests/app/test_cli_inventory.py::test_weigh_net_peptide, by hand:
    # 1 mL x 10 mM = 10 µmol; x 1864.1 g/mol = 18.641 mg peptide; / 0.80 = 23.30125 mg powder
    expected_mg = 1e-3 * 10e-3 * 1864.1 / 0.80 * 1e3
    row = re.search(
        r'<tr id="weigh-gross_mass_to_weigh"><td><strong>gross_mass_to_weigh</strong></td>'
        r"<td><strong>([^<]+)</strong></td><td>(\w+)</td>",
        response.text,
    )
    assert row is not None
    assert float(row.group(1)) == pytest.approx(expected_mg, rel=1e-5)  # shown to 6 digits
    assert row.group(2) == "mg"
    assert "Weigh 23.3 mg powder (net peptide content 80 %)" in response.text
    # the same in µL and µM: 500 µL x 200 µM x 1864.1 g/mol / 0.5 = 0.37282 mg
    small = browser.post(
        "/inventory/weigh",
        data=_weigh_form(
            token,
            concentration="200",
            concentration_unit="µM",
            volume="500",
            volume_unit="µL",
            peptide_content="0.5",
        ),
    )
    assert small.status_code == 200
    found = re.search(
        r'<tr id="weigh-gross_mass_to_weigh">.*?<strong>([^<]+)</strong></td><td>(\w+)', small.text
    )
    assert found is not None
    assert float(found.group(1)) == pytest.approx(500e-6 * 200e-6 * 1864.1 / 0.5 * 1e3, rel=1e-5)
    assert found.group(2) == "mg"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"concentration_unit": "furlong"}, "concentration"),
        ({"volume_unit": "mg"}, "volume"),
        ({"volume": "a lot"}, "volume"),
        ({"peptide_content": "1.5"}, "peptide_content"),
        ({"compound": "aspirin"}, "compound"),
    ],
)
def test_a_bad_weigh_form_is_shown_again_naming_the_field(
    lab: Lab, browser: httpx.Client, change: dict[str, str], field: str
) -> None:
    token = _csrf(browser.get("/inventory").text)
    response = browser.post("/inventory/weigh", data=_weigh_form(token, **change))
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="weigh-error">(.*?)</p>', response.text, re.S)
    assert error is not None and error.group(1).startswith(f"{field}: ")
    assert 'id="weigh-result"' not in response.text
    key, value = next(iter(change.items()))
    if not key.endswith("_unit"):  # the form keeps what was typed
        assert f'name="{key}" value="{value}"' in response.text


def test_the_page_links_the_solubility_assessment(browser: httpx.Client) -> None:
    page = browser.get("/inventory").text
    assert '<a href="/runs/inventory">' in page and "solubility_unit" in page
    assert browser.get("/runs/inventory").status_code == 200
