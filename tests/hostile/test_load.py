"""Hostile and normal requests together against a real ``cxcr4lab serve`` (loopback, SQLite,
2 analysis workers, a 5 s budget): the normal ones keep their latency and nothing is half-stored.

Bounded: 15 s of traffic from 10 client threads (about 1,500 requests on a 2-CPU machine).
"""

from __future__ import annotations

import io
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import BINDING_OPTIONS, LAYOUT, PLATE, free_port, seed
from tests.web.test_concurrency import _counts

TRAFFIC_S = 15.0
BUDGET_S = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    url = f"sqlite:///{(tmp_path_factory.mktemp('load') / 'web.sqlite').as_posix()}"
    tokens, _ = seed(url)
    port = free_port()
    env = {**os.environ, "CXCR4LAB_SECRET_KEY": "l" * 40}
    command = str(Path(sys.executable).with_name("cxcr4lab"))  # the console script
    args = [command, "serve", "--port", str(port), "--database", url]
    args += ["--max-upload-mb", "2", "--analysis-workers", "2"]
    args += ["--analysis-timeout", str(BUDGET_S)]
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # The server imports and starts its analysis workers first (slow on a busy machine).
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("cxcr4lab serve did not start")
            time.sleep(0.2)
        yield base, url, tokens
    finally:
        process.terminate()
        process.wait(timeout=30)


def _zip_bomb() -> bytes:
    """A small xlsx-named zip whose one member inflates to 64 MiB of spaces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (64 * 2**20))
    return buffer.getvalue()


def test_normal_requests_keep_their_latency_under_attack(
    server: tuple[str, str, dict[str, str]],
) -> None:
    base, url, tokens = server
    auth = {"Authorization": f"Bearer {tokens['alice']}"}
    before = _counts(url)
    stop = threading.Event()
    log: dict[str, list[tuple[int, float]]] = {}
    lock = threading.Lock()

    def loop(name: str, make: Callable[[httpx.Client], httpx.Response], pause: float) -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    code = make(client).status_code
                except httpx.TransportError:
                    code = -1  # a cut-off connection (413 before the body is read)
                with lock:
                    log.setdefault(name, []).append((code, time.perf_counter() - started))
                time.sleep(pause)

    def post(files: dict[str, object], **data: str) -> Callable[[httpx.Client], httpx.Response]:
        def send(client: httpx.Client) -> httpx.Response:
            form = {"project": "alpha", **BINDING_OPTIONS, **data}
            return client.post("/api/runs/binding", data=form, files=files)  # type: ignore[arg-type]

        return send

    def wrong_password(client: httpx.Client) -> httpx.Response:
        client.headers.pop("Authorization", None)
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        data = {"username": "alice", "password": "guess " + str(time.time()), "csrf": csrf}
        return client.post("/login", data=data)

    big = ("big.csv", b"A1,1\n" * (2 * 2**20 // 5 + 10))
    huge_digits = LAYOUT[1] + b"\n[well.H12]\nconc = '" + b"9" * 100_000 + b" nM'\n"
    hostile: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "oversized": post({"plate": big, "layout": LAYOUT}),
        "zip bomb": post({"plate": ("bomb.xlsx", _zip_bomb()), "layout": LAYOUT}),
        "bad xlsx": post({"plate": ("p.xlsx", b"PK\x03\x04" + os.urandom(3000)), "layout": LAYOUT}),
        "power tower": post({"plate": PLATE, "layout": LAYOUT}, kd="9**9**8 nM"),
        "huge number": post({"plate": PLATE, "layout": LAYOUT}, radioligand_conc="1e308 M"),
        "huge digits": post({"plate": PLATE, "layout": ("digits.toml", huge_digits)}),
        "wrong password": wrong_password,
    }
    normal: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "list": lambda c: c.get("/api/analyses", params={"per_page": 50}),
        "upload": post({"plate": PLATE, "layout": LAYOUT}, title="normal load upload"),
    }
    threads = [
        threading.Thread(target=loop, args=(n, f, 0.05)) for n, f in {**hostile, **normal}.items()
    ]
    for t in threads:
        t.start()
    probes: list[float] = []
    with httpx.Client(base_url=base, timeout=10) as probe:
        deadline = time.monotonic() + TRAFFIC_S
        while time.monotonic() < deadline:
            started = time.perf_counter()
            assert probe.get("/api/health").status_code == 200
            probes.append(time.perf_counter() - started)
            time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=120)

    p95 = statistics.quantiles(probes, n=20)[-1]
    summary = {n: sorted({c for c, _ in v}) for n, v in log.items()}
    print(
        f"\nhealth: n={len(probes)} median {statistics.median(probes) * 1e3:.1f} ms, "
        f"p95 {p95 * 1e3:.1f} ms, max {max(probes) * 1e3:.1f} ms; statuses {summary}"
    )
    for name, calls in log.items():
        print(f"  {name}: {len(calls)} requests, max {max(s for _, s in calls):.2f} s")
    assert p95 < 0.100, p95
    assert all(code == 200 for code, _ in log["list"])
    uploads = [code for code, _ in log["upload"]]
    assert uploads and all(code == 201 for code in uploads), uploads
    assert max(s for _, s in log["list"]) < 5.0
    for name in hostile:
        assert all(code < 500 or code == 503 for code, _ in log[name]), (name, summary[name])
    assert {c for c, _ in log["wrong password"]} <= {303, 429}
    assert 429 in {c for c, _ in log["wrong password"]}

    after = _counts(url)
    stored = after["analyses"] - before["analyses"]
    with httpx.Client(base_url=base, headers=auth) as client:
        titles = [
            i["title"]
            for i in client.get("/api/analyses", params={"per_page": 200}).json()["items"]
        ]
    assert stored == len(uploads) == titles.count("normal load upload"), (stored, len(uploads))
    assert after["unlinked"] == 0 and after["orphans"] == 0
    Path  # noqa: B018
