"""Regenerate the web app screenshots in ``docs/img/web_*.png`` with Playwright and chromium.

    uv run python benchmarks/screenshots.py [--out docs/img]

Serves the app on loopback (temporary SQLite database), creates user ``ada`` in project ``lab``
and captures, 1280 px wide:

* ``web_login.png``: the login page;
* ``web_runs_index.png``: ``/runs``, every analysis kind with its inputs and command;
* ``web_runs_binding.png``, ``web_runs_arrestin.png``: the generated forms of two plate kinds,
  filled in with their bundled SIMULATED plates (the binding plate is run twice, the
  beta-arrestin plate once, through these forms);
* ``web_analysis.png``, ``web_analysis_arrestin.png``: their result pages (plotly curves and
  plate heatmap);
* ``web_result_<kind>.png`` for the kinds of :data:`RESULT_KINDS`: the result page of the kind's
  first bundled example, run with the form's "Run the example and save" button (results table
  and report section);
* ``web_analyses.png``: the analyses list; ``web_compound.png``: a compound page.

Long pages are cut at :data:`MAX_HEIGHT` px, and every image is saved with a 256-colour
palette so it stays small. Needs ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from cxcr4lab.store import Store
from cxcr4lab.web import Settings, create_app
from cxcr4lab.workflows import example_bytes

PASSWORD = "example password"
RESULT_KINDS = ("nca", "cox", "survival", "regimen_simulation", "fit", "synergy", "invivo")
"""Non-plate kinds whose example result page is captured (``web_result_<kind>.png``)."""
MAX_HEIGHT = 2400
"""Full-page screenshots are cut at this height (px)."""


def _serve(url: str) -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(database_url=url, secret_key="screenshots-" + "x" * 20))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _shrink(path: Path) -> None:
    """Cut the image at :data:`MAX_HEIGHT` px and save it with a 256-colour palette."""
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    if image.height > MAX_HEIGHT:
        image = image.crop((0, 0, image.width, MAX_HEIGHT))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def _wait_for_result(page: Page) -> None:
    """Wait for the result page after a form was sent, and for its figures to be drawn."""
    page.wait_for_url("**/analyses/*", timeout=300_000)
    page.wait_for_selector("#results")
    if page.locator(".plot").count():
        page.wait_for_selector(".plot .main-svg")
    time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate docs/img/web_*.png")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp, 'shots.sqlite').as_posix()}"
        with Store(url) as store:
            store.accounts.create_user("ada", PASSWORD)
            store.accounts.create_project("lab", "ada")
        files = {}
        for kind in ("binding", "arrestin"):
            for name in ("plate96_run1.csv", "layout96.toml"):
                files[f"{kind}/{name}"] = Path(tmp, f"{kind}_{name}")
                files[f"{kind}/{name}"].write_bytes(example_bytes(kind, name)[1])
        server, base = _serve(url)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1280, "height": 900})

                def shot(name: str, full: bool = False) -> None:
                    path = args.out / f"web_{name}.png"
                    page.screenshot(path=str(path), full_page=full)
                    _shrink(path)
                    print(f"{path} ({path.stat().st_size // 1024} KiB)")

                page.goto(f"{base}/login")
                page.fill("input[name=username]", "ada")
                shot("login")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/analyses")
                page.goto(f"{base}/runs")
                shot("runs_index", full=True)
                for title in ("Run 1, balixafortide series", ""):
                    page.goto(f"{base}/runs/binding")
                    page.set_input_files(
                        "input[name=plate]", str(files["binding/plate96_run1.csv"])
                    )
                    page.set_input_files("input[name=layout]", str(files["binding/layout96.toml"]))
                    page.fill("input[name=radioligand_conc]", "0.1 nM")
                    page.fill("input[name=kd]", "0.5 nM")
                    page.fill("input[name=title]", title)
                    if title:
                        shot("runs_binding", full=True)
                    page.click("#run-submit")
                    _wait_for_result(page)
                shot("analysis", full=True)
                page.goto(f"{base}/runs/arrestin")
                page.fill("input[name=agonist_conc]", "200 ng/mL")
                page.set_input_files("input[name=plate]", str(files["arrestin/plate96_run1.csv"]))
                page.set_input_files("input[name=layout]", str(files["arrestin/layout96.toml"]))
                shot("runs_arrestin", full=True)
                page.click("#run-submit")
                _wait_for_result(page)
                shot("analysis_arrestin", full=True)
                for kind in RESULT_KINDS:
                    page.goto(f"{base}/runs/{kind}")
                    page.click("#example-submit")
                    _wait_for_result(page)
                    shot(f"result_{kind}", full=True)
                page.goto(f"{base}/analyses")
                shot("analyses")
                page.goto(f"{base}/compounds/balixafortide")
                shot("compound", full=True)
                browser.close()
        finally:
            server.should_exit = True


if __name__ == "__main__":
    main()
