"""Regenerate the web app screenshots in ``docs/img/web_*.png`` with Playwright and chromium.

    uv run python benchmarks/screenshots.py [--out docs/img]

Serves the app on loopback (temporary SQLite database), creates user ``ada`` in project ``lab``,
uploads the bundled SIMULATED 96-well binding plate twice and the beta-arrestin plate once
through the browser, and captures the login, analyses list, upload, analysis (binding and
beta-arrestin) and compound pages. Needs ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from cxcr4lab.store import Store
from cxcr4lab.web import Settings, create_app
from cxcr4lab.workflows import example_bytes

PASSWORD = "example password"


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
                    print(path)

                page.goto(f"{base}/login")
                page.fill("input[name=username]", "ada")
                shot("login")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/analyses")
                for title in ("Run 1, balixafortide series", ""):
                    page.goto(f"{base}/upload")
                    page.set_input_files(
                        "input[name=plate]", str(files["binding/plate96_run1.csv"])
                    )
                    page.set_input_files("input[name=layout]", str(files["binding/layout96.toml"]))
                    page.fill("input[name=title]", title)
                    if title:
                        shot("upload")
                    page.click("#upload-submit")
                    page.wait_for_url("**/analyses/*", timeout=120_000)
                page.wait_for_selector("#plot-heatmap .main-svg")
                time.sleep(0.5)
                shot("analysis", full=True)
                page.goto(f"{base}/upload")
                page.select_option("#kind", "arrestin")
                page.fill("input[name=agonist_conc]", "200 ng/mL")
                page.set_input_files("input[name=plate]", str(files["arrestin/plate96_run1.csv"]))
                page.set_input_files("input[name=layout]", str(files["arrestin/layout96.toml"]))
                shot("upload_arrestin")
                page.click("#upload-submit")
                page.wait_for_url("**/analyses/*", timeout=120_000)
                page.wait_for_selector("#plot-heatmap .main-svg")
                time.sleep(0.5)
                shot("analysis_arrestin", full=True)
                page.goto(f"{base}/analyses")
                shot("analyses")
                page.goto(f"{base}/compounds/balixafortide")
                shot("compound", full=True)
                browser.close()
        finally:
            server.should_exit = True


if __name__ == "__main__":
    main()
