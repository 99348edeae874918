"""``--scheduler tcp://HOST:PORT`` hands the chunks of a batch command to a running Dask cluster
(issue 19 item 4; docs/scale.md).

A real ``dask scheduler`` and two ``dask worker`` processes (one thread each, with their nanny,
as a lab runs them) are started on 127.0.0.1 for this module and stopped after it. Through them
run a 100,000-curve ``cxcr4lab fit`` and a 10,000-patient ``cxcr4lab simulate regimen``; the
reference is the same command without ``--scheduler`` (the local result):

- the fit is equal to the last bit: the same chunks are fitted by the same compiled engine;
- the population's PK, occupancy and CD34+ courses are equal to the last bit; its ANC agrees to
  a relative 1e-4 (the Friberg integrator's step control runs over the patients it is given, a
  chunk of 2,500 on the cluster, all 10,000 here; measured: 2.6e-6) and every patient's CTCAE
  grade is the same.

The scheduler's task counts and the workers' executed-task counters show the work went to both
workers. The curves and patients are SIMULATED (seeded), small per curve (6 points) and per
patient (one cycle): the module took 94-114 s on the shared 2-core machine at load average 5.5-7.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
from dask.distributed import Client

from cxcr4lab.fit import FOUR_PL
from cxcr4lab.runs import KINDS, example_inputs, option_specs
from cxcr4lab.store import Store
from tests.conftest import CliRun

Cli = Callable[..., CliRun]

N_CURVES = 100_000
N_PATIENTS = 10_000
CONC_NM = np.array([0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0])
ANC_RTOL = 1e-4
BATCH_KINDS = {"fit", "regimen_simulation", "regimen_comparison"}


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate each process and its children (a nanny's worker), killing what lingers."""
    tree: list[psutil.Process] = []
    for proc in procs:
        try:
            parent = psutil.Process(proc.pid)
            tree += [*parent.children(recursive=True), parent]
        except psutil.NoSuchProcess:
            continue
    for p in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, alive = psutil.wait_procs(tree, timeout=20)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    for proc in procs:
        proc.wait(timeout=10)


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(folder.glob("*.log")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a scheduler with two one-thread workers, all on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            _start(
                [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                 "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                folder / "scheduler.log",
            )
        )  # fmt: skip
        address = ""
        deadline = time.monotonic() + 90
        while not address:
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dask scheduler did not start:\n{_logs(folder)}")
            try:
                address = json.loads(file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        for i in range(2):
            procs.append(
                _start(
                    [sys.executable, "-m", "distributed.cli.dask_worker", address,
                     "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                     "--no-dashboard", "--name", f"worker-{i}",
                     "--local-directory", str(folder / f"worker-{i}")],
                    folder / f"worker-{i}.log",
                )
            )  # fmt: skip
        with Client(address, timeout=30) as client:
            try:
                client.wait_for_workers(2, timeout=120)
            except TimeoutError:
                pytest.fail(f"the dask workers did not join:\n{_logs(folder)}")
        yield address
    finally:
        _stop(procs)


def _activity(address: str) -> tuple[dict[str, int], dict[str, int]]:
    """Tasks the scheduler has seen finish per name prefix (a running count), and tasks each
    worker has executed."""

    def prefixes(dask_scheduler: Any) -> dict[str, int]:
        return {
            name: int(prefix.state_counts["memory"])
            for name, prefix in dask_scheduler.task_prefixes.items()
        }

    def executed(dask_worker: Any) -> int:
        return int(dask_worker.state.executed_count)

    with Client(address, timeout=30) as client:
        return client.run_on_scheduler(prefixes), client.run(executed)


def _curves(path: Path) -> Path:
    """100,000 SIMULATED 4PL curves of 6 concentrations (nM): IC50 0.5-500 nM (log-uniform),
    Hill 0.7-1.5, bottom 2, top 98, normal noise SD 3."""
    rng = np.random.default_rng(20251203)
    log_ic50 = rng.uniform(math.log10(0.5e-9), math.log10(500e-9), N_CURVES)
    hill = rng.uniform(0.7, 1.5, N_CURVES)
    x = np.log10(CONC_NM * 1e-9)
    p = np.stack([np.full(N_CURVES, 2.0), np.full(N_CURVES, 98.0), log_ic50, hill])
    y = FOUR_PL.f(x[None, :], p[:, :, None]) + rng.normal(0.0, 3.0, (N_CURVES, x.size))
    ids = np.repeat([f"c{i:06d}" for i in range(N_CURVES)], x.size)
    frame = pd.DataFrame(
        {"curve_id": ids, "concentration": np.tile(CONC_NM, N_CURVES), "response": y.ravel()}
    )
    frame.to_csv(path, index=False)
    return path


def test_a_100000_curve_fit_through_the_cluster_equals_the_local_fit(
    cli: Cli, cluster: str, tmp_path: Path
) -> None:
    curves = _curves(tmp_path / "curves.csv")
    common = ("fit", str(curves), "--conc-unit", "nM", "--no-save")
    local = cli(*common, "--out", str(tmp_path / "local.parquet"))
    assert local.code == 0, local.err
    before = _activity(cluster)
    remote = cli(*common, "--out", str(tmp_path / "cluster.parquet"), "--scheduler", cluster)
    assert remote.code == 0, remote.err
    after = _activity(cluster)
    assert f"Dask scheduler {cluster}: 2 workers, 2 threads" in remote.err
    expected = pd.read_parquet(tmp_path / "local.parquet")
    got = pd.read_parquet(tmp_path / "cluster.parquet")
    assert len(got) == N_CURVES and got["converged"].mean() > 0.95
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert remote.out == local.out  # the terminal view too
    # 100,000 curves in chunks of 20,000: five tasks, and both workers ran some
    assert after[0].get("cxcr4lab-fit", 0) - before[0].get("cxcr4lab-fit", 0) == 5
    assert all(after[1][w] > before[1].get(w, 0) for w in after[1]), (before, after)


def _close(a: Any, b: Any, rtol: float) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0)


def test_a_10000_patient_population_through_the_cluster_equals_the_local_run(
    cli: Cli, cluster: str
) -> None:
    args = ("simulate", "regimen", "--patients", str(N_PATIENTS), "--cycles", "1")
    local = cli(*args, "--no-save", "--json")
    assert local.code == 0, local.err
    before = _activity(cluster)
    remote = cli(*args, "--no-save", "--json", "--scheduler", cluster)
    assert remote.code == 0, remote.err
    after = _activity(cluster)
    expected, got = json.loads(local.out), json.loads(remote.out)
    assert got.keys() == expected.keys()
    courses = ("bands", "cycles", "overall", "patients")
    for key in got.keys() - set(courses):  # regimen, settings, models, times, notes
        assert got[key] == expected[key], key
    assert got["overall"]["n"] == N_PATIENTS
    for name in ("Cp", "RO", "CD34"):  # exact PK: equal to the last bit
        assert got["bands"][name] == expected["bands"][name], name
    _close(got["bands"]["ANC"], expected["bands"]["ANC"], ANC_RTOL)
    on_cluster, here = [*got["cycles"], got["overall"]], [*expected["cycles"], expected["overall"]]
    for g, e in zip(on_cluster, here, strict=True):
        _close(g.pop("nadir"), e.pop("nadir"), ANC_RTOL)
        assert g == e  # Cmax, AUC, time above target, CD34+ peak, n, grade counts
    nadir = "nadir ANC (10^9/L)"
    _close(got["patients"].pop(nadir), expected["patients"].pop(nadir), ANC_RTOL)
    assert got["patients"] == expected["patients"]  # covariates, Cmax, RO, worst grade
    # 10,000 patients in chunks of 2,500: four tasks, and both workers ran some
    done = after[0].get("cxcr4lab-regimen", 0) - before[0].get("cxcr4lab-regimen", 0)
    assert done == 4
    assert all(after[1][w] > before[1].get(w, 0) for w in after[1]), (before, after)


def test_the_stored_analysis_does_not_record_the_scheduler(
    cli: Cli, cluster: str, db_url: str, tmp_path: Path
) -> None:
    (file, content) = example_inputs(KINDS["fit"].examples[0])["curves"]
    curves = tmp_path / file
    curves.write_bytes(content)
    ids = []
    for extra in ((), ("--scheduler", cluster)):
        run = cli("fit", str(curves), "--conc-unit", "nM", "--json", *extra)
        assert run.code == 0, run.err
        ids.append(json.loads(run.out)["id"])
    with Store(db_url) as store:
        local, remote = store.get(ids[0]), store.get(ids[1])
    assert remote.parameters == local.parameters
    assert "scheduler" not in json.dumps(remote.parameters)
    assert remote.result == local.result
    compare = cli(
        "simulate", "compare", "--patients", "60", "--cycles", "1", "--scheduler", cluster,
        "--schedule", "balixafortide 4 mg/kg d1-3,8-10 + eribulin 1.1 mg/m^2 d2,9", "--json",
    )  # fmt: skip
    assert compare.code == 0, compare.err
    assert json.loads(compare.out)["rows"][0]["n"] == 60


def test_chunked_courses_equal_one_call_in_process() -> None:
    """The chunking itself, without Dask: 300 patients in chunks of 70 against one call."""
    from cxcr4lab.pkpd.occupancy_model import OccupancyModel
    from cxcr4lab.pkpd.regimen_simulation import (
        SimulationSettings,
        cd34_link,
        chunked_course_arrays,
        course_arrays,
        virtual_population,
    )
    from cxcr4lab.pkpd.regimens import Regimen

    settings = SimulationSettings(n_patients=300, cycles=1)
    regimen = Regimen.balixafortide_eribulin()
    population = virtual_population(settings)
    models = {
        "link": cd34_link(None, keo_half_life_h=settings.keo_half_life_h),
        "occupancy": OccupancyModel.for_compound("balixafortide", kd_molar=settings.kd_molar),
    }
    calls: list[int] = []

    def in_process(function: Callable[..., Any], chunks: Any) -> list[Any]:
        calls.extend(len(c[1]) for c in chunks)
        return [function(*args) for args in chunks]

    whole = course_arrays(regimen, population, settings, **models)
    chunked = chunked_course_arrays(
        regimen, population, settings, **models, chunk_map=in_process, chunk_size=70
    )
    assert calls == [70, 70, 70, 70, 20]
    np.testing.assert_array_equal(chunked.t, whole.t)
    for name in ("cp", "auc", "ro", "cd34"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name), err_msg=name)
    np.testing.assert_allclose(chunked.anc, whole.anc, rtol=ANC_RTOL)


# --- bad input: one line naming --scheduler, quickly, with no cluster needed ------------------


@pytest.mark.parametrize(
    "address",
    ["nonsense", "tcp://127.0.0.1:0", "tcp://127.0.0.1:99999", "http://127.0.0.1:8786",
     "tcp://127.0.0.1:port", "tcp://:8786", "tcp://bad host:8786", ""],
)  # fmt: skip
@pytest.mark.parametrize("command", [("fit",), ("simulate", "regimen"), ("simulate", "compare")])
def test_an_unreadable_address_is_one_line_naming_the_option(
    cli: Cli, tmp_path: Path, command: tuple[str, ...], address: str
) -> None:
    args: tuple[str, ...] = command
    if command == ("fit",):
        curves = tmp_path / "curves.csv"
        curves.write_text("curve_id,concentration,response\na,1,90\na,10,50\na,100,10\n")
        args = ("fit", str(curves))
    run = cli(*args, "--scheduler", address, "--no-save")
    assert run.code == 2, run.err
    assert (
        run.err.startswith("error: --scheduler: ") and "is not a Dask scheduler address" in run.err
    )
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_refused_at_once(cli: Cli) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    run = cli("simulate", "regimen", "--patients", "10", "--no-save", "--scheduler", address)
    elapsed = time.monotonic() - start
    assert run.code == 2, run.err
    assert run.err.strip() == (
        f"error: --scheduler: no Dask scheduler at {address} (Connection refused); start one "
        "there (dask scheduler) or give the address it prints"
    )
    assert elapsed < 3.0


@pytest.fixture
def not_dask() -> Iterator[str]:
    """A loopback server that answers every connection with an HTTP response."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok" * 4)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


def test_a_server_that_is_not_a_scheduler_is_named(cli: Cli, not_dask: str) -> None:
    start = time.monotonic()
    run = cli("simulate", "compare", "--patients", "10", "--no-save", "--scheduler", not_dask)
    assert run.code == 2, run.err
    assert run.err.startswith(f"error: --scheduler: {not_dask} did not answer as a Dask scheduler")
    assert len(run.err.strip().splitlines()) == 1
    assert time.monotonic() - start < 10.0


def test_a_scheduler_without_workers_is_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from dask.distributed import LocalCluster

    import cxcr4lab.core.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 1.0)
    with LocalCluster(
        n_workers=0,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as empty:
        address = empty.scheduler_address
        run = cli("simulate", "regimen", "--patients", "10", "--no-save", "--scheduler", address)
    assert run.code == 2, run.err
    assert run.err.strip() == (
        f"error: --scheduler: the Dask scheduler at {address} has no workers (none joined "
        f"within 1 s); start some (dask worker {address})"
    )


def test_only_the_batch_commands_take_it_and_no_kind_stores_it(cli: Cli) -> None:
    assert {name for name, kind in KINDS.items() if kind.batch} == BATCH_KINDS
    for kind in KINDS.values():
        assert "scheduler" not in {s.name for s in option_specs(kind.options)}, kind.name
    run = cli("simulate", "mobilization", "--scheduler", "tcp://127.0.0.1:8786")
    assert run.code == 2 and "No such option: --scheduler" in run.err
