"""Throughput of the population simulator against a libroadrunner loop (issue 5 item 7).

    uv run --frozen python benchmarks/population.py                    # 1,000 patients (~1 min)
    uv run --frozen python benchmarks/population.py --busy             # one core kept busy
    uv run --frozen python benchmarks/population.py --patients 20000   # also 20,000 through Dask
    uv run --frozen python benchmarks/population.py --million          # also 1,000,000 (issue 5)

The patients are SIMULATED (seeded): weight log-normal (median 70 kg, CV 20 %), height
N(165, 7) cm, BSA by Mosteller; log-normal between-subject variability on eribulin CL and V1
(30 %, assumed), balixafortide CL and V1 (30 %, assumed) and the Friberg parameters (van Hasselt
et al. 2013: Circ0 37.3 %, MTT 13.9 %, gamma 12.2 %, SLOPE 54 %). Regimen: balixafortide
5.5 mg/kg as 2 h infusions on days 1-3 and 8-10 plus eribulin 1.4 mg/m^2 bolus on days 2 and 9
of each 21-day cycle, 6 cycles (126 days), output every hour. Model:
:func:`cxcr4lab.pkpd.neutropenia.eribulin_neutropenia_model` with balixafortide (2-compartment
balixafortide PK, 3-compartment eribulin PK, Friberg; 10 states).

Our path: :func:`cxcr4lab.sim.run_packed` (numba, all cores; the PK block solved exactly, the
Friberg states by Dormand-Prince 5(4)). The baseline: the SBML export run in libroadrunner
(CVODE, one core) patient by patient, two ways: the dosing template built into the SBML once
as time-triggered events, one ``simulate`` per patient
(:class:`~cxcr4lab.sim.crosscheck.RoadRunnerEventSimulator`, all patients, our tolerances), and
dosing segment by segment (:class:`~cxcr4lab.sim.crosscheck.RoadRunnerSimulator`, the first
``--segment-n`` patients). The
faster is the baseline. The ANC nadirs must agree to a relative 1e-4. Compilation (ours: numba
or its cache; libroadrunner: LLVM) is timed apart and not counted, and so is a first run of
all patients on all threads and on one (which touches fresh memory). The timings come in
``--rounds`` interleaved rounds, each running all patients through ours on as many threads
as numba is set to (the patients handed out in small chunks as threads come free), then on
one thread, then a share of each libroadrunner loop, so that ours and the baseline see the
same load when other work on the machine comes and goes; rates are totals over the rounds.
``--busy`` starts a CPU-burning child process (one core's worth, killed at the end, with a
hard timeout) before any timing, so both our runs and the baseline run on a machine with one
core taken. The environment is printed and, with the results, written to ``population.json``
(``population-busy.json``) beside this file. The line before the environment gives the
single-thread figure (``single thread: X patients/s; ratio: R``); the last line reads
``population: X patients/s; libroadrunner loop: Y patients/s; ratio: R``.

``--patients N`` (``--million``: N = 1,000,000) then streams N patients through
:func:`cxcr4lab.sim.distributed.population_summaries` in chunks of ``--chunk-size``: each chunk
is reduced on the worker to per-patient ANC nadir, time of nadir and AUCs plus a per-hour ANC
histogram (5/50/95 % bands), so no trajectory outlives its chunk (after the timings above, and
not under ``--busy``). Memory is the resident set of the whole process tree (this process and
any children), sampled every 0.2 s with psutil, and ``getrusage`` maxrss of self + children;
the issue's requirement is 2 GiB at 1,000,000 patients.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from numpy.typing import NDArray

from _busy import busy
from _env import environment, print_environment, write_json
from cxcr4lab.pkpd.neutropenia import IIV_CV_PERCENT, ctcae_grade, eribulin_neutropenia_model
from cxcr4lab.sim import Model, Schedule, bolus, combine, cycles, infusion, run_packed, schedules
from cxcr4lab.sim.crosscheck import RoadRunnerEventSimulator, RoadRunnerSimulator
from cxcr4lab.sim.events import pack

Array = NDArray[np.float64]

SEED = 20251123
N_PATIENTS = 1_000
CYCLE_H = 21 * 24.0
N_CYCLES = 6
T_OUT = np.arange(0.0, N_CYCLES * CYCLE_H + 1.0)  # hourly, 0..3024 h
BSV_ASSUMED = {"CL": 30.0, "V1": 30.0, "CL_B": 30.0, "V1_B": 30.0}
RTOL, ATOL = 1e-7, 1e-10


def template() -> Schedule:
    """Dosing changes of a 1 kg, 1 m^2 patient (CMT 1 balixafortide, CMT 2 eribulin)."""
    days_b = [1, 2, 3, 8, 9, 10]
    days_e = [2, 9]
    one = combine(
        *[infusion(5.5, duration=2.0, time=(d - 1) * 24.0, cmt=1) for d in days_b],
        *[bolus(1.4, time=(d - 1) * 24.0, cmt=2) for d in days_e],
    )
    ev = cycles(one, n_cycles=N_CYCLES, cycle_h=CYCLE_H)
    return schedules(ev, n_states=10)[1]


def patients(model: Model, lo: int, hi: int, seed: int = SEED) -> tuple[Array, Array, Array]:
    """Parameters, weight (kg) and BSA (m^2) of patients lo..hi-1 (seeded by chunk)."""
    rng = np.random.default_rng([seed, lo])
    n = hi - lo
    wt = 70.0 * np.exp(rng.normal(0.0, np.sqrt(np.log1p(0.2**2)), n))
    ht = rng.normal(165.0, 7.0, n)
    bsa = np.sqrt(wt * ht / 3600.0)
    names = model.parameter_names
    P = np.tile(model.parameter_vector(), (n, 1))
    for name, cv in {**BSV_ASSUMED, **IIV_CV_PERCENT}.items():
        omega = np.sqrt(np.log1p((cv / 100.0) ** 2))
        P[:, names.index(name)] *= np.exp(rng.normal(0.0, omega, n))
    return P, wt, bsa


def make_chunk(model: Model, lo: int, hi: int, seed: int = SEED) -> tuple[Array, tuple]:  # type: ignore[type-arg]
    """Parameters and packed schedules of patients lo..hi-1 (seeded by chunk)."""
    P, wt, bsa = patients(model, lo, hi, seed)
    n = hi - lo
    base = template()
    et, ek, ec, ev, ne = pack([base] * n)
    scale = np.where(ec == 0, wt[:, None], bsa[:, None])  # mg/kg x kg, mg/m^2 x m^2
    return P, (et, ek, ec, ev * scale, ne)


def tree_rss() -> int:
    """Resident bytes of this process and all its children (numba/dask workers included)."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        with suppress(psutil.Error):
            total += child.memory_info().rss
    return int(total)


@contextmanager
def rss_sampler(every_s: float = 0.2) -> Iterator[list[int]]:
    """Samples :func:`tree_rss` in a thread while the block runs; yields the list of samples."""
    samples: list[int] = [tree_rss()]
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            samples.append(tree_rss())

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
        samples.append(tree_rss())


def maxrss_bytes() -> int:
    """Peak resident set (Linux ru_maxrss, KiB) of this process plus its waited-for children."""
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int((self_kib + children_kib) * 1024)


def stream(model: Model, n: int, chunk_size: int) -> None:
    """``n`` patients through Dask in chunks; prints throughput, peak memory and ANC bands."""
    from cxcr4lab.sim.distributed import population_summaries

    def chunk(lo: int, hi: int) -> tuple[Array, tuple]:  # type: ignore[type-arg]
        return make_chunk(model, lo, hi)

    gib = 2.0**30
    t0 = time.perf_counter()
    step = max(n // 20, 1)
    shown = [0]

    def progress(done: int, total: int) -> None:  # every 5 %, to stderr with an ETA
        if done - shown[0] >= step or done == total:
            shown[0] = done
            s = time.perf_counter() - t0
            eta = s / done * (total - done)
            print(f"  {done:,}/{total:,} in {s:.0f} s, ETA {eta:.0f} s", file=sys.stderr)

    with rss_sampler() as samples:
        res = population_summaries(
            model, chunk, n, T_OUT, observe="ANC", auc_of="Ce", chunk_size=chunk_size,
            bands=(5, 50, 95), band_range=(0.01, 100.0), band_bins=800, progress=progress,
            rtol=RTOL, atol=ATOL,
        )  # fmt: skip
    s = time.perf_counter() - t0
    failed = (res["steps"] < 0) | ~np.isfinite(res["nadir"])
    nadir = res["nadir"][~failed]
    peak = max(samples)
    half = len(samples) // 2
    g3 = 100 * np.mean(ctcae_grade(nadir) >= 3)
    p5, p50, p95 = res["p5_ANC"], res["p50_ANC"], res["p95_ANC"]
    k = int(np.nanargmin(p50))
    print(f"stream: SIMULATED patients through Dask, chunks of {chunk_size}")
    rows = [
        ("patients", f"{n:,}"),
        ("integration failed (max_steps; excluded)", f"{int(failed.sum()):,}"),
        ("wall time (s)", f"{s:.0f}"),
        ("throughput (patients/s)", f"{n / s:,.0f}"),
        ("process-tree RSS before (MiB)", f"{samples[0] / 2**20:,.0f}"),
        ("process-tree RSS peak, 1st half (MiB)", f"{max(samples[: max(half, 1)]) / 2**20:,.0f}"),
        ("process-tree RSS peak, 2nd half (MiB)", f"{max(samples[half:]) / 2**20:,.0f}"),
        ("process-tree RSS peak (GiB)", f"{peak / gib:.3f}"),
        ("getrusage maxrss self+children (GiB)", f"{maxrss_bytes() / gib:.3f}"),
        ("ANC nadir median (10^9/L)", f"{np.median(nadir):.3f}"),
        (
            "ANC nadir 5-95 % (10^9/L)",
            f"{np.percentile(nadir, 5):.3f}-{np.percentile(nadir, 95):.3f}",
        ),
        ("grade >= 3 neutropenia (%)", f"{g3:.1f}"),
        (
            "lowest median ANC band (day, 5/50/95 %)",
            f"{T_OUT[k] / 24 + 1:.1f}: {p5[k]:.3f}/{p50[k]:.3f}/{p95[k]:.3f}",
        ),
    ]
    for key, value in rows:
        print(f"{key:<44}{value:>24}")
    verdict = "within" if max(peak, maxrss_bytes()) <= 2 * gib else "ABOVE"
    print(f"memory: {verdict} 2 GiB at {n:,} patients")


def timed_run(
    model: Model,
    P: Array,
    packed: tuple,  # type: ignore[type-arg]
    threads: int,
) -> tuple[Array, NDArray[np.int64], float]:
    """``run_packed`` on every patient with numba set to ``threads``: ANC and Ce, steps, time."""
    from numba import get_num_threads, set_num_threads

    before = get_num_threads()
    set_num_threads(threads)
    try:
        t0 = time.perf_counter()
        out, steps = run_packed(
            model, P, packed, T_OUT, observe=["ANC", "Ce"], rtol=RTOL, atol=ATOL
        )
        return out, steps, time.perf_counter() - t0
    finally:
        set_num_threads(before)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=N_PATIENTS)
    parser.add_argument("--segment-n", type=int, default=200, help="patients dosed by segment")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--busy-timeout", type=float, default=900.0, help="burner's limit (s)")
    parser.add_argument("--json", default=None, help="where to write the results (default: beside)")
    parser.add_argument("--patients", type=int, default=0, help="also N patients through Dask")
    parser.add_argument("--million", action="store_true", help="--patients 1000000")
    parser.add_argument("--chunk-size", type=int, default=2_000)
    args = parser.parse_args(argv)
    rounds = max(1, args.rounds)
    model = eribulin_neutropenia_model(with_balixafortide=True)

    with busy(args.busy, timeout_s=args.busy_timeout) as load:
        t0 = time.perf_counter()
        P_w, packed_w = make_chunk(model, 0, 2)
        run_packed(model, P_w, packed_w, T_OUT, observe=["ANC"], rtol=RTOL, atol=ATOL)
        compile_s = time.perf_counter() - t0
        from numba import get_num_threads

        n_threads = get_num_threads()
        timed_run(model, P_w, packed_w, 1)  # the one-thread kernel's own warm-up

        t0 = time.perf_counter()
        P, packed = make_chunk(model, 0, args.n)
        setup_s = time.perf_counter() - t0
        # one untimed run of all patients per mode: the first touches fresh memory
        first = timed_run(model, P, packed, n_threads)[2]
        first_1 = timed_run(model, P, packed, 1)[2]

        # libroadrunner, events in the SBML: dose multipliers kg (CMT 1) and m^2 (CMT 2) each
        t0 = time.perf_counter()
        rr_ev = RoadRunnerEventSimulator(
            model, template(), rtol=RTOL, atol=ATOL, observe=["ANC", "Ce"]
        )
        rr_build_s = time.perf_counter() - t0
        _, wt, bsa = patients(model, 0, args.n)
        scale = np.ones((args.n, len(model.states)))
        scale[:, 0], scale[:, 1] = wt, bsa
        # libroadrunner, dosing segment by segment (setValue between simulate calls); at RTOL,
        # ATOL CVODE warns of h underflow at some restarts, and its speed barely depends on
        # tolerance
        rr = RoadRunnerSimulator(model, rtol=1e-9, atol=1e-11)
        i_anc = rr.names.index("ANC")
        n_seg = min(args.segment_n, args.n)
        et, ek, ec, ev, ne = packed

        # rounds of: ours on all threads, ours on one, a share of each libroadrunner loop; so
        # ours and the baseline see the same load when other work comes and goes
        times: list[float] = []
        times_1: list[float] = []
        ev_times: list[float] = []
        seg_times: list[float] = []
        ev_nadir = np.empty(args.n)
        seg_nadir = np.empty(n_seg)
        same_1 = True
        ev_parts = np.array_split(np.arange(args.n), rounds)
        seg_parts = np.array_split(np.arange(n_seg), rounds)
        for ev_part, seg_part in zip(ev_parts, seg_parts, strict=True):
            out, steps, t = timed_run(model, P, packed, n_threads)
            times.append(t)
            out_1, _, t = timed_run(model, P, packed, 1)
            times_1.append(t)
            same_1 = same_1 and bool(np.array_equal(out_1, out, equal_nan=True))
            del out_1
            t0 = time.perf_counter()
            for s in ev_part.tolist():
                ev_nadir[s] = rr_ev.run(P[s], T_OUT, scale[s])[0].min()
            ev_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for s in seg_part.tolist():
                q = int(ne[s])
                sched = Schedule(et[s, :q], ek[s, :q], ec[s, :q], ev[s, :q])
                seg_nadir[s] = rr.run(P[s], sched, T_OUT)[i_anc].min()
            seg_times.append(time.perf_counter() - t0)
        ours_s = sum(times) / rounds
        ours_1_s = sum(times_1) / rounds
        ev_s, seg_s = sum(ev_times), sum(seg_times)
        anc = out[:, 0, :]
        nadir = anc.min(axis=1)
        t_nadir = T_OUT[np.argmin(anc, axis=1)]
    print(load.summary())
    rel_ev = np.abs(nadir - ev_nadir) / np.abs(ev_nadir)
    rel_seg = np.abs(nadir[:n_seg] - seg_nadir) / np.abs(seg_nadir)
    rate_ev, rate_seg = args.n / ev_s, n_seg / seg_s

    grades = ctcae_grade(nadir)
    print("SIMULATED virtual patients; balixafortide + eribulin, 6 x 21-day cycles, hourly output")
    print(f"{'quantity':<44}{'value':>16}")
    rows = [
        ("patients", f"{args.n}"),
        ("numba compile / cache load (s, not counted)", f"{compile_s:.2f}"),
        ("population setup (s, not counted)", f"{setup_s:.3f}"),
        ("first run, all threads / 1 (s, not counted)", f"{first:.3f} / {first_1:.3f}"),
        (f"our batch run, {n_threads} threads (s, mean of {rounds})", f"{ours_s:.3f}"),
        (f"our batch run, 1 thread (s, mean of {rounds})", f"{ours_1_s:.3f}"),
        ("1 thread gives the same trajectories", f"{same_1}"),
        ("libroadrunner model build (s, not counted)", f"{rr_build_s:.2f}"),
        ("libroadrunner patients, events / by segment", f"{args.n} / {n_seg}"),
        ("libroadrunner, SBML events (patients/s)", f"{rate_ev:.1f}"),
        ("libroadrunner, by segment (patients/s)", f"{rate_seg:.1f}"),
        ("Dormand-Prince steps per patient (median)", f"{np.median(steps):.0f}"),
        ("ANC nadir median (10^9/L)", f"{np.median(nadir):.3f}"),
        (
            "ANC nadir 5-95 % (10^9/L)",
            f"{np.percentile(nadir, 5):.3f}-{np.percentile(nadir, 95):.3f}",
        ),
        ("time of nadir median (day of course)", f"{np.median(t_nadir) / 24 + 1:.1f}"),
        ("patients with grade >= 3 neutropenia (%)", f"{100 * np.mean(grades >= 3):.1f}"),
        ("max rel. nadir difference, SBML events", f"{rel_ev.max():.2e}"),
        ("max rel. nadir difference, by segment", f"{rel_seg.max():.2e}"),
    ]
    for k, v in rows:
        print(f"{k:<44}{v:>16}")
    worst = max(rel_ev.max(), rel_seg.max())
    if not worst <= 1e-4:
        raise SystemExit(f"nadirs disagree with libroadrunner: max relative {worst:.2e}")

    n_big = 1_000_000 if args.million else args.patients
    if n_big:
        stream(model, n_big, args.chunk_size)
    ours = args.n / ours_s
    ours_1 = args.n / ours_1_s
    theirs = max(rate_ev, rate_seg)  # the faster libroadrunner loop is the baseline
    env = environment()
    results: dict[str, Any] = {
        "patients": args.n,
        "rounds": rounds,
        "threads": n_threads,
        "seconds": times,
        "seconds_one_thread": times_1,
        "libroadrunner_events_seconds": ev_times,
        "libroadrunner_segments_seconds": seg_times,
        "patients_per_s": round(ours, 2),
        "patients_per_s_one_thread": round(ours_1, 2),
        "one_thread_identical": same_1,
        "libroadrunner_events_patients_per_s": round(rate_ev, 3),
        "libroadrunner_segments_patients_per_s": round(rate_seg, 3),
        "libroadrunner_patients_per_s": round(theirs, 3),
        "ratio": round(ours / theirs, 2),
        "ratio_one_thread": round(ours_1 / theirs, 2),
        "compile_or_cache_load_s": round(compile_s, 3),
        "first_run_s": round(first, 3),
        "first_run_one_thread_s": round(first_1, 3),
        "steps_per_patient_median": float(np.median(steps)),
        "max_relative_nadir_difference": float(worst),
        **load.to_dict(),
    }
    print_environment(env)
    suffix = "-busy.json" if args.busy else ".json"
    default = Path(__file__).with_name(Path(__file__).stem + suffix)
    write_json(default if args.json is None else args.json, "population", results, env)
    print(
        f"single thread: {ours_1:.0f} patients/s; ratio: {ours_1 / theirs:.0f} "
        f"(against the same libroadrunner loop)"
    )
    print(
        f"population: {ours:.0f} patients/s; libroadrunner loop: {theirs:.1f} patients/s; "
        f"ratio: {ours / theirs:.0f}"
    )


if __name__ == "__main__":
    main()
