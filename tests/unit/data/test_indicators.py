"""Every indicator the service answers equals TA-Lib's own output on the same bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib
from fastapi.testclient import TestClient

NAMES = "sma:50,ema,rsi,macd,bbands,atr,adx,stoch,obv,cci,willr,mfi,roc"


def test_indicators_match_talib(client: TestClient) -> None:
    limit = 200
    r = client.get(
        "/api/v1/indicators/BTCUSD", params={"timeframe": "H1", "names": NAMES, "limit": limit}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["times"]) == limit
    # the same bars the service used: limit + its 250-bar warm-up
    bars = client.get(
        "/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": limit + 250}
    ).json()["bars"]
    df = pd.DataFrame(bars)
    h, lo, c, v = (df[k].to_numpy(float) for k in ("high", "low", "close", "volume"))
    macd, macd_sig, macd_hist = talib.MACD(c, 12, 26, 9)
    bb_u, bb_m, bb_l = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    st_k, st_d = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    expected = {
        "sma_50": talib.SMA(c, 50),
        "ema_20": talib.EMA(c, 20),
        "rsi_14": talib.RSI(c, 14),
        "macd_12_26_9": macd,
        "macd_12_26_9_signal": macd_sig,
        "macd_12_26_9_hist": macd_hist,
        "bbands_20_2_upper": bb_u,
        "bbands_20_2_middle": bb_m,
        "bbands_20_2_lower": bb_l,
        "atr_14": talib.ATR(h, lo, c, 14),
        "adx_14": talib.ADX(h, lo, c, 14),
        "stoch_14_3_3_k": st_k,
        "stoch_14_3_3_d": st_d,
        "obv": talib.OBV(c, v),
        "cci_20": talib.CCI(h, lo, c, 20),
        "willr_14": talib.WILLR(h, lo, c, 14),
        "mfi_14": talib.MFI(h, lo, c, v, 14),
        "roc_10": talib.ROC(c, 10),
    }
    assert set(body["values"]) == set(expected)
    assert [t for t in body["times"]] == [b["time"] for b in bars[-limit:]]
    for col, want in expected.items():
        got = np.array([np.nan if x is None else x for x in body["values"][col]], dtype=float)
        np.testing.assert_allclose(got, want[-limit:], rtol=1e-9, err_msg=col)
        assert not np.isnan(got).any(), f"{col} not warmed up"


def test_indicator_catalogue_and_bad_requests(client: TestClient) -> None:
    listed = {i["name"] for i in client.get("/api/v1/indicators").json()}
    assert {"sma", "ema", "rsi", "macd", "bbands", "atr", "adx", "stoch", "obv", "cci"} <= listed
    for names, message in [
        ("rsi,magic", "unknown indicator 'magic'"),
        ("sma:abc", "must be a number"),
        ("sma:0", "must be in"),
        ("bbands:20:nan", "must be in"),
        ("bbands:20:inf", "must be in"),
        ("bbands:20:-inf", "must be in"),
        ("macd:26:12", "fast period must be shorter"),
        ("obv:3", "at most 0 parameters"),
    ]:
        r = client.get("/api/v1/indicators/BTCUSD", params={"names": names})
        assert r.status_code == 422, names
        assert message in r.json()["detail"], (names, r.json()["detail"])
