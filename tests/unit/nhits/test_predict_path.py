"""The forecast's predict path: the seeds' networks on one tensor, without neuralforecast's
DataFrame / dataset / Trainer round trip, answering exactly what `NeuralForecast.predict`
answers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from neuralforecast import NeuralForecast
from tradingstack.nhits import model as nh


@pytest.fixture(scope="module")
def ensemble() -> nh.Ensemble:
    torch.set_num_threads(1)
    hyper = nh.Hyper(h=6, input_size=24, levels=[80], seeds=2, vol_window=16)
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))
    trained = nh.fit(hyper, close, max_steps=8, val_windows=0, accelerator="cpu")
    ens = nh.Ensemble(hyper, trained.nets)
    ens.close = close  # type: ignore[attr-defined]
    return ens


def test_median_is_what_neuralforecast_predicts(ensemble: nh.Ensemble) -> None:
    close: np.ndarray = ensemble.close  # type: ignore[attr-defined]
    histories = [close[:o] for o in (30, 41, 200, 399, 400)]  # 30: shorter than input+vol
    fast = ensemble.median(histories)
    reference = ensemble.predict_frames(histories)
    assert fast.shape == (5, ensemble.hyper.h)
    np.testing.assert_allclose(fast, reference, rtol=1e-6, atol=1e-7)
    # and median_at (the evaluation's batches) agrees row by row
    at = np.array([100, 250, 400])
    np.testing.assert_allclose(
        ensemble.median_at(close, at, batch=2),
        ensemble.predict_frames([close[:o] for o in at]),
        rtol=1e-6,
        atol=1e-7,
    )


def test_median_skips_neuralforecasts_dataframe_and_trainer_round_trip(
    ensemble: nh.Ensemble, monkeypatch: pytest.MonkeyPatch
) -> None:
    close: np.ndarray = ensemble.close  # type: ignore[attr-defined]
    want = ensemble.median([close])

    def no_round_trip(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("NeuralForecast.predict called on the forecast path")

    monkeypatch.setattr(NeuralForecast, "predict", no_round_trip)
    np.testing.assert_array_equal(ensemble.median([close]), want)


def test_short_histories_still_go_through_neuralforecast(ensemble: nh.Ensemble) -> None:
    close: np.ndarray = ensemble.close  # type: ignore[attr-defined]
    short = [close[:10], close[:300]]  # 10 < input_size: neuralforecast pads it
    np.testing.assert_allclose(
        ensemble.median(short), ensemble.predict_frames(short), rtol=1e-6, atol=1e-7
    )
