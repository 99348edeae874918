"""The pages in a real browser (Debian's chromium via Playwright) against a real server.

If /usr/bin/chromium is missing these tests FAIL (install it: apt-get install chromium).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cxcr4lab.web import Settings, create_app
from tests.web.conftest import LAYOUT, PASSWORD, PLATE, ServerThread, free_port, seed

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{(tmp_path_factory.mktemp('browser') / 'web.sqlite').as_posix()}"
    seed(url)
    port = free_port()
    with ServerThread(create_app(Settings(database_url=url, secret_key="b" * 40)), port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get install -y --no-install-recommends chromium)"
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def _login(page: Page, site: str, user: str) -> None:
    page.goto(f"{site}/analyses")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/analyses")


def test_upload_see_curve_download_logout_and_no_peeking(
    site: str, browser: Browser, tmp_path: Path
) -> None:
    plate, layout = tmp_path / PLATE[0], tmp_path / LAYOUT[0]
    plate.write_bytes(PLATE[1])
    layout.write_bytes(LAYOUT[1])

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, site, "alice")

    page.goto(f"{site}/upload")  # the old address leads to the binding form
    expect(page).to_have_url(f"{site}/runs/binding")
    page.set_input_files("input[name=plate]", str(plate))
    page.set_input_files("input[name=layout]", str(layout))
    page.fill("input[name=radioligand_conc]", "0.1 nM")
    page.fill("input[name=kd]", "0.5 nM")
    page.click("#run-submit")
    expect(page).to_have_url(re.compile(r"/analyses/\d+$"), timeout=60_000)
    analysis_url = page.url

    # plotly.js (served by the app) drew the curves and the heatmap.
    expect(page.locator("#plot-curves .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#plot-heatmap .main-svg").first).to_be_visible()
    expect(page.locator("#plot-curves .legend")).to_contain_text("balixafortide")
    expect(page.locator("#results")).to_contain_text("balixafortide")
    assert errors == []

    with page.expect_download() as info:
        page.click("#download-csv")
    saved = tmp_path / "results.csv"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("compound,n_points,ic50_nM")
    assert "balixafortide" in text

    page.goto(f"{site}/analyses?q=plate96")
    expect(page.locator("#analyses")).to_contain_text("plate96_run1.csv")

    page.click("#logout")
    expect(page).to_have_url(f"{site}/login")
    page.goto(analysis_url)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    context.close()

    other = browser.new_context()
    bob = other.new_page()
    _login(bob, site, "bob")
    response = bob.goto(analysis_url)
    assert response is not None and response.status == 404
    expect(bob.locator("body")).not_to_contain_text("balixafortide")
    other.close()


def test_upload_error_names_the_file(site: str, browser: Browser, tmp_path: Path) -> None:
    bad = tmp_path / "plate.csv"
    bad.write_bytes(b"nothing,useful\n1,2\n")
    layout = tmp_path / LAYOUT[0]
    layout.write_bytes(LAYOUT[1])
    context = browser.new_context()
    page = context.new_page()
    _login(page, site, "alice")
    page.goto(f"{site}/runs/binding")
    page.set_input_files("input[name=plate]", str(bad))
    page.set_input_files("input[name=layout]", str(layout))
    page.fill("input[name=radioligand_conc]", "0.1 nM")
    page.fill("input[name=kd]", "0.5 nM")
    page.click("#run-submit")
    expect(page.locator("#run-error")).to_contain_text("plate.csv")
    context.close()


def test_upload_another_assay_and_see_its_curve(
    site: str, browser: Browser, tmp_path: Path
) -> None:
    from cxcr4lab.workflows import example_bytes

    files = {}
    for name in ("plate96_run1.csv", "layout96.toml"):
        files[name] = tmp_path / f"arrestin_{name}"
        files[name].write_bytes(example_bytes("arrestin", name)[1])
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, site, "alice")

    page.goto(f"{site}/runs")
    page.click("#kinds a[href='/runs/arrestin']")
    expect(page).to_have_url(f"{site}/runs/arrestin")
    # The form of a kind has only that kind's options: none of binding's or calcium's.
    expect(page.locator("input[name=agonist_conc]")).to_be_visible()
    expect(page.locator("input[name=kd]")).to_have_count(0)
    expect(page.locator("input[name=injection]")).to_have_count(0)
    page.fill("input[name=agonist_conc]", "200 ng/mL")
    page.set_input_files("input[name=plate]", str(files["plate96_run1.csv"]))
    page.set_input_files("input[name=layout]", str(files["layout96.toml"]))
    page.click("#run-submit")
    expect(page).to_have_url(re.compile(r"/analyses/\d+$"), timeout=60_000)

    expect(page.locator("#plot-curves .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#plot-curves .legend")).to_contain_text("balixafortide: IC50")
    expect(page.locator("#plot-agonist .legend")).to_contain_text("CXCL12: EC50")
    expect(page.locator("#plot-heatmap .main-svg").first).to_be_visible()
    expect(page.locator("#results")).to_contain_text("plerixafor")
    expect(page.locator("body")).to_contain_text("arrestin")
    expect(page.locator("#qc-verdict")).to_have_text("pass")
    assert errors == []
    context.close()


def test_a_kind_without_a_plate_draws_its_figures(site: str, browser: Browser) -> None:
    """NCA of the bundled Theoph table from its form's one-click example: plotly draws the
    concentration-time figure (with the concentrations read from the stored table) and the
    exposure figure; the log-y button switches the axis; the report section loads when opened."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, site, "alice")
    page.goto(f"{site}/runs/nca")
    page.click("#example-submit")
    expect(page).to_have_url(re.compile(r"/analyses/\d+$"), timeout=60_000)

    plot = page.locator("#plot-concentrations.js-plotly-plot")
    expect(plot).to_have_count(1, timeout=30_000)
    expect(plot.locator(".main-svg").first).to_be_visible()
    expect(plot.locator(".legend")).to_contain_text("12")  # Theoph subjects 1-12
    expect(plot.locator(".scatterlayer .trace").first).to_be_visible()
    expect(page.locator("#plot-exposure.js-plotly-plot")).to_have_count(1)
    page.locator("#plot-concentrations .updatemenu-button", has_text="log y").click()
    expect(plot.locator(".ytick").first).to_be_visible()
    assert (
        page.evaluate("document.getElementById('plot-concentrations').layout.yaxis.type") == "log"
    )

    section = page.locator("#report-section")
    expect(section).not_to_have_attribute("open", "")
    expect(section.locator("svg")).to_have_count(0)  # fetched when opened
    page.click("#report-section > summary")
    expect(section.locator("svg").first).to_be_visible(timeout=30_000)
    expect(section).to_contain_text("AUClast")
    assert errors == []
    context.close()
