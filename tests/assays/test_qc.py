"""Plate QC (Z', S/B, S/N, CV) against hand-computed values, and normalisation to controls."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cxcr4lab.assays.qc import PlateQC, QCThresholds, percent_of_controls, plate_qc


def test_hand_computed_example_passes() -> None:
    high = [100.0, 110.0, 90.0]
    low = [10.0, 12.0, 8.0]
    # mean_high = 300 / 3 = 100; sd_high = sqrt((0 + 100 + 100) / (3 - 1)) = 10
    # mean_low = 30 / 3 = 10;    sd_low = sqrt((0 + 4 + 4) / (3 - 1)) = 2
    # Z' = 1 - 3 (10 + 2) / |100 - 10| = 1 - 36 / 90 = 0.6
    # S/B = 100 / 10 = 10; S/N = (100 - 10) / 2 = 45; CV high = 10 %, CV low = 20 % (at the limit)
    qc = plate_qc(high, low, high_label="total", low_label="nsb")

    assert (qc.n_high, qc.n_low) == (3, 3)
    assert qc.mean_high == pytest.approx(100.0)
    assert qc.mean_low == pytest.approx(10.0)
    assert qc.sd_high == pytest.approx(10.0)
    assert qc.sd_low == pytest.approx(2.0)
    assert qc.z_prime == pytest.approx(0.6)
    assert qc.signal_to_background == pytest.approx(10.0)
    assert qc.signal_to_noise == pytest.approx(45.0)
    assert qc.cv_high_pct == pytest.approx(10.0)
    assert qc.cv_low_pct == pytest.approx(20.0)
    assert qc.passed
    assert qc.reasons == ()


def test_low_z_prime_and_high_cv_fail_with_reasons() -> None:
    high = [100.0, 130.0, 70.0]
    low = [10.0, 12.0, 8.0]
    # sd_high = sqrt((0 + 900 + 900) / 2) = 30; Z' = 1 - 3 (30 + 2) / 90 = 1 - 96 / 90 = -1/15
    # CV high = 30 / 100 = 30 % > 20 %; S/B = 10 passes
    qc = plate_qc(high, low, high_label="total", low_label="nsb")

    assert qc.z_prime == pytest.approx(-1 / 15)
    assert not qc.passed
    assert len(qc.reasons) == 2
    assert any(r.startswith("Z' = -0.07") for r in qc.reasons)
    assert any("CV of total" in r and "30.0%" in r for r in qc.reasons)
    assert not any("signal/background" in r for r in qc.reasons)


def test_small_window_fails_on_z_prime_and_signal_to_background() -> None:
    high = [30.0, 31.0, 29.0]
    low = [20.0, 21.0, 19.0]
    # sd = 1 for both; Z' = 1 - 3 (1 + 1) / 10 = 0.4 < 0.5; S/B = 30 / 20 = 1.5 < 2
    qc = plate_qc(high, low)

    assert qc.z_prime == pytest.approx(0.4)
    assert qc.signal_to_background == pytest.approx(1.5)
    assert any(r.startswith("Z' = 0.40") for r in qc.reasons)
    assert any("signal/background = 1.50" in r for r in qc.reasons)


def test_thresholds_are_respected() -> None:
    high = [30.0, 31.0, 29.0]
    low = [20.0, 21.0, 19.0]
    lenient = QCThresholds(z_prime_min=0.3, signal_to_background_min=1.4)
    assert plate_qc(high, low, thresholds=lenient).passed


def test_fewer_than_two_controls_is_flagged() -> None:
    qc = plate_qc([100.0], [10.0, 12.0, 8.0], high_label="total", low_label="nsb")

    assert qc.n_high == 1
    assert qc.sd_high is None
    assert qc.z_prime is None  # no SD from a single well
    assert qc.cv_high_pct is None
    assert not qc.passed
    assert any("only 1 total control well" in r for r in qc.reasons)


def test_zero_background_gives_undefined_signal_to_background() -> None:
    qc = plate_qc([100.0, 110.0, 90.0], [0.0, 0.0, 0.0])
    assert qc.signal_to_background is None
    assert qc.cv_low_pct is None
    assert any("signal/background = undefined" in r for r in qc.reasons)


def test_identical_controls_give_no_z_prime() -> None:
    qc = plate_qc([50.0, 50.0], [50.0, 50.0])
    assert qc.z_prime is None
    assert qc.signal_to_background == pytest.approx(1.0)
    assert not qc.passed


def test_z_prime_matches_its_definition_on_random_data() -> None:
    rng = np.random.default_rng(42)
    high = rng.normal(5000.0, 250.0, size=16)
    low = rng.normal(450.0, 30.0, size=16)
    qc = plate_qc(high, low)
    s_hi = math.sqrt(sum((v - high.mean()) ** 2 for v in high) / 15)
    s_lo = math.sqrt(sum((v - low.mean()) ** 2 for v in low) / 15)
    assert qc.z_prime == pytest.approx(
        1 - 3 * (s_hi + s_lo) / abs(high.mean() - low.mean()), rel=1e-12
    )


def test_percent_of_controls() -> None:
    # 100 (signal - 10) / (100 - 10): 10 -> 0 %, 100 -> 100 %, 55 -> 50 %, 145 -> 150 %
    got = percent_of_controls([10.0, 100.0, 55.0, 145.0], 100.0, 10.0)
    np.testing.assert_allclose(got, [0.0, 100.0, 50.0, 150.0], rtol=1e-12, atol=1e-12)


def test_summary_and_json_round_trip() -> None:
    qc = plate_qc([100.0], [10.0, 12.0, 8.0], high_label="total", low_label="nsb")
    table = qc.summary()
    assert list(table.columns) == ["metric", "value", "unit", "criterion"]
    assert "CV total" in set(table["metric"])
    again = PlateQC.from_dict(json.loads(json.dumps(qc.to_dict())))
    assert again == qc
    assert again.passed == qc.passed


def test_empty_control_sets_are_refused() -> None:
    with pytest.raises(ValueError, match="control wells"):
        plate_qc([], [1.0, 2.0])
