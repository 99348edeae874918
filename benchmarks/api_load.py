"""Latency and throughput of the web API analysing a 384-well plate under 20 concurrent clients.

    uv run python benchmarks/api_load.py                 # 20 clients x 10 uploads each
    uv run python benchmarks/api_load.py --rounds 30   # a longer run (600 analyses)

Starts ``cxcr4lab serve`` on loopback in a subprocess (a temporary SQLite database, WAL), creates
a user, a project and an API token, then runs ``--clients`` threads with httpx, each uploading
the bundled SIMULATED 384-well binding plate (``examples/binding/plate384_run1.xlsx`` with
``layout384.toml``, [L] 0.1 nM, Kd 0.5 nM) to ``POST /api/runs/binding`` ``--rounds`` times:
every request reads the xlsx, fits five competition curves with profile-likelihood CIs and
saves the analysis in one transaction. One warm-up upload runs first and is not timed.
Latency is per request, from sending to the 201 response. The last line reads
``api_load: p50 X ms; p95 Y ms; N analyses/s (20 clients, 384-well plate)``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from _env import environment, print_environment, write_json
from cxcr4lab.store import Store
from cxcr4lab.workflows import example_bytes

PLATE = example_bytes("binding", "plate384_run1.xlsx")
LAYOUT = example_bytes("binding", "layout384.toml")
OPTIONS = {"radioligand_conc": "0.1 nM", "kd": "0.5 nM"}
"""The binding options of the bundled example."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from cxcr4lab.cli import main; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database",
        url,
        "--secret-key",
        "benchmark-secret-key-0123456789",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
        if server.poll() is not None:
            raise SystemExit(
                f"server exited: {server.stderr.read().decode() if server.stderr else ''}"
            )
    server.kill()
    raise SystemExit("server did not start within 60 s")


def _template() -> tuple[bytes, str]:
    """The multipart body of an upload with the title ``\x00TITLE\x00`` (encoded once, so
    the load generator, which shares the machine with the server, spends its CPU on requests
    rather than on encoding them) and its content type."""
    request = httpx.Request(
        "POST",
        "http://x/api/runs/binding",
        data={"project": "bench", "title": "\x00TITLE\x00", **OPTIONS},
        files={"plate": PLATE, "layout": LAYOUT},
    )
    return request.read(), request.headers["content-type"]


BODY, CONTENT_TYPE = _template()


def _upload(client: httpx.Client, title: str) -> float:
    body = BODY.replace(b"\x00TITLE\x00", title.encode())
    start = time.perf_counter()
    response = client.post(
        "/api/runs/binding", content=body, headers={"content-type": CONTENT_TYPE}
    )
    elapsed = time.perf_counter() - start
    if response.status_code != 201:
        raise RuntimeError(f"upload {title!r}: {response.status_code} {response.text[:300]}")
    return elapsed


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server process, its analysis workers (every process
    below it, with the workers that ended and were reaped: pebble replaces a worker after
    100 analyses) and this load generator (user + system)."""
    import psutil

    def used(p: psutil.Process, reaped: bool) -> float:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:  # a worker that ended meanwhile
            return 0.0
        return float(t.user + t.system + (t.children_user + t.children_system if reaped else 0))

    server = psutil.Process(server_pid)
    workers = sum(used(p, True) for p in server.children(recursive=True))
    me = psutil.Process()
    return {"server": used(server, False), "workers": workers, "load generator": used(me, False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="uploads per client")
    parser.add_argument(
        "--json", default=str(Path(__file__).with_suffix(".json")), help="'' for none"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{(Path(tmp) / 'load.sqlite').as_posix()}"
        with Store(url) as store:
            user = store.accounts.create_user("bench", "benchmark password")
            store.accounts.create_project("bench", "bench")
            token = store.accounts.create_token(user.id, "load")
        port = _free_port()
        server = _start(url, port)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers=headers, timeout=600) as warm:
                warmup = _upload(warm, "warm-up")
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()

            # Each client is made before the clock starts: an httpx client loads the system's CA
            # certificates (about 80 ms of CPU each), which is the load generator's setup, not
            # the server's work, and would take a core from the server during the run.
            clients = [
                httpx.Client(base_url=base, headers=headers, timeout=600)
                for _ in range(args.clients)
            ]

            def client(k: int) -> None:
                c = clients[k]
                for r in range(args.rounds):
                    try:
                        t = _upload(c, f"load {k * args.rounds + r}")
                    except Exception as exc:  # reported, and the run fails below
                        with lock:
                            errors.append(str(exc))
                        return
                    with lock:
                        latencies.append(t)

            threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
            cpu_before = _cpu_seconds(server.pid)
            try:
                start = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall = time.perf_counter() - start
                cpu_after = _cpu_seconds(server.pid)
            finally:
                for c in clients:
                    c.close()
            with httpx.Client(base_url=base, headers=headers) as c:
                stored = c.get("/api/analyses", params={"search": "load "}).json()["total"]
        finally:
            server.terminate()
            server.wait(timeout=30)

    if errors:
        raise SystemExit(f"{len(errors)} uploads failed; first: {errors[0]}")
    n = len(latencies)
    expected = args.clients * args.rounds
    ms = np.array(latencies) * 1e3
    p50, p95 = np.percentile(ms, [50, 95])
    print(f"machine: {os.cpu_count()} CPUs; server: uvicorn, 1 process, SQLite (WAL)")
    print(f"warm-up upload (not timed): {warmup * 1e3:.0f} ms")
    print(f"{n} uploads+analyses of a 384-well plate by {args.clients} clients in {wall:.1f} s")
    print(f"stored: {stored} of {expected} (every upload saved once)")
    print(
        f"latency: min {ms.min():.0f} ms, p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {ms.max():.0f} ms"
    )
    per = {k: (cpu_after[k] - cpu_before[k]) / max(n, 1) * 1e3 for k in cpu_before}
    print(
        "CPU per analysis: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in per.items())
        + f"; total {sum(per.values()):.1f} ms"
    )
    if stored != expected:
        raise SystemExit(f"lost analyses: {stored} stored, {expected} sent")
    env = environment()
    print_environment(env)
    results = {
        "clients": args.clients,
        "uploads": n,
        "wall_s": round(wall, 3),
        "warmup_ms": round(warmup * 1e3, 1),
        "latency_ms": {
            "min": round(float(ms.min()), 1),
            "p50": round(float(p50), 1),
            "p95": round(float(p95), 1),
            "max": round(float(ms.max()), 1),
        },
        "analyses_per_s": round(n / wall, 2),
        "cpu_ms_per_analysis": {k: round(v, 2) for k, v in per.items()},
    }
    write_json(args.json, "api_load", results, env)
    print(
        f"api_load: p50 {p50:.0f} ms; p95 {p95:.0f} ms; {n / wall:.2f} analyses/s "
        f"({args.clients} clients, 384-well plate)"
    )


if __name__ == "__main__":
    main()
