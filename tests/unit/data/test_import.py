"""CSV import: good files in common spellings, bad files rejected whole with line numbers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def fund(client: TestClient) -> str:
    sym = {"symbol": "FUND", "name": "Fund", "category": "etf", "provider_order": []}
    assert client.post("/api/v1/symbols", json=sym).status_code == 201
    return "FUND"


def _get(client: TestClient, tf: str = "H1") -> list[dict]:
    r = client.get("/api/v1/ohlcv/FUND", params={"timeframe": tf, "limit": 5000})
    return r.json()["bars"] if r.status_code == 200 else []


def test_good_file_multipart(client: TestClient, fund: str) -> None:
    csv = "Datetime,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(
        f"2024-01-02 {h:02d}:00:00+00:00,{10 + h},{11 + h},{9 + h},{10.5 + h},{10.5 + h},{h * 10}"
        for h in range(0, 12)
    )
    r = client.post(
        "/api/v1/ohlcv/FUND/import",
        params={"timeframe": "H1"},
        files={"file": ("bars.csv", csv, "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 12 and r.json()["replaced"] == 0
    bars = _get(client)
    assert len(bars) == 12 and bars[3]["close"] == 13.5 and bars[3]["volume"] == 30
    # importing again replaces, it does not duplicate
    r = client.post(
        "/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, files={"file": ("b.csv", csv)}
    )
    assert r.json()["replaced"] == 12 and len(_get(client)) == 12


def test_other_spellings_semicolons_and_epoch_milliseconds(client: TestClient, fund: str) -> None:
    start = 1_704_153_600_000  # 2024-01-02T00:00:00Z
    csv = "timestamp;o;h;l;c;vol\n" + "\n".join(
        f"{start + i * 3_600_000};1.{i};2.{i};0.{i}5;1.{i};{i}" for i in range(5)
    )
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, content=csv)
    assert r.status_code == 200, r.text
    assert r.json()["first"].startswith("2024-01-02T00:00:00")
    assert len(_get(client)) == 5


def test_bad_rows_are_listed_and_nothing_is_imported(client: TestClient, fund: str) -> None:
    csv = (
        "time,open,high,low,close,volume\n"
        "2024-01-02T00:00:00Z,10,11,9,10,1\n"
        "2024-01-02T01:00:00Z,10,9,11,10,1\n"  # line 3: high below low
        "2024-01-02T02:00:00Z,10,11,9,10,1\n"
        "not-a-date,10,11,9,ten,1\n"  # line 5
        "2024-01-02T04:00:00Z,10,11,9,10\n"  # line 6: missing field
    )
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, content=csv)
    assert r.status_code == 422
    body = r.json()
    lines = [e["line"] for e in body["errors"]]
    assert lines == [3, 5, 6]
    assert "high 9 is below" in body["errors"][0]["error"]
    assert (
        "not a date" in body["errors"][1]["error"] and "close 'ten'" in body["errors"][1]["error"]
    )
    assert "nothing imported" in body["detail"]
    assert _get(client) == []


def test_duplicates_and_wrong_timeframe_are_refused(client: TestClient, fund: str) -> None:
    dup = (
        "date,open,high,low,close\n"
        "2024-01-02,1,2,0.5,1\n2024-01-03,1,2,0.5,1\n2024-01-02,1,2,0.5,1\n"
    )
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "D1"}, content=dup)
    assert r.status_code == 422 and "repeats line 2" in r.json()["detail"]
    hourly = "date,open,high,low,close\n2024-01-02 10:00,1,2,0.5,1\n2024-01-02 11:00,1,2,0.5,1\n"
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "D1"}, content=hourly)
    assert r.status_code == 422 and "finer than D1" in r.json()["detail"]


def test_header_and_request_problems(client: TestClient, fund: str) -> None:
    r = client.post(
        "/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, content="a,b,d\n1,2,3\n"
    )
    assert r.status_code == 422 and "lacks time, open, high, low, close" in r.json()["detail"]
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, content="")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = client.post("/api/v1/ohlcv/FUND/import", content="time,open,high,low,close\n")
    assert r.status_code == 422 and "timeframe" in r.json()["detail"]
    r = client.post("/api/v1/ohlcv/NOPE/import", params={"timeframe": "H1"}, content="x")
    assert r.status_code == 404
    r = client.post(
        "/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, content=b"\xff\xfe\x00bad"
    )
    assert r.status_code == 422


def test_a_multipart_import_without_the_file_field_says_so(client: TestClient, fund: str) -> None:
    # the form was parsed looking for `file`, which consumed the body: reading it again was a 500
    r = client.post(
        "/api/v1/ohlcv/FUND/import",
        params={"timeframe": "D1"},
        files={"csv": ("bars.csv", "Date,Close\n2024-01-01,1\n", "text/csv")},
    )
    assert r.status_code == 422, r.text
    assert "`file`" in r.json()["detail"] and "`csv`" in r.json()["detail"]


def test_absurd_prices_volumes_and_dates_are_refused_by_their_line(
    client: TestClient, fund: str
) -> None:
    csv = (
        "time,open,high,low,close,volume\n"
        "2024-01-02,10,11,9,10,1\n"
        "2024-01-03,0,11,0,10,1\n"  # line 3: zero prices
        "2024-01-04,-5,11,-6,10,1\n"  # line 4: negative prices
        "2024-01-05,1e308,1e308,1e308,1e308,1\n"  # line 5: a price no market quotes
        "2024-01-06,10,11,9,10,1e30\n"  # line 6: volume
        "1500-01-07,10,11,9,10,1\n"  # line 7
        "2300-01-08,10,11,9,10,1\n"  # line 8
    )
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "D1"}, content=csv)
    assert r.status_code == 422, r.text
    errors = {e["line"]: e["error"] for e in r.json()["errors"]}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8], errors
    assert "open 0 is not a price" in errors[3] and "low 0 is not a price" in errors[3]
    assert "open -5 is not a price" in errors[4]
    assert "close 1e+308 is not a price" in errors[5]
    assert "volume 1e+30 is above" in errors[6]
    assert "1500" in errors[7] and ("before 1900" in errors[7] or "not a date" in errors[7])
    assert "2300" in errors[8] and ("future" in errors[8] or "not a date" in errors[8])
    assert _get(client) == []


def test_error_lines_are_file_lines_when_a_quoted_field_spans_lines(
    client: TestClient, fund: str
) -> None:
    csv = (
        "time,open,high,low,close,volume,note\n"
        '2024-01-02,10,11,9,10,1,"a note\nover two lines"\n'  # lines 2-3
        "2024-01-03,10,9,11,10,1,x\n"  # line 4: high below low
    )
    r = client.post("/api/v1/ohlcv/FUND/import", params={"timeframe": "D1"}, content=csv)
    assert r.status_code == 422, r.text
    assert [e["line"] for e in r.json()["errors"]] == [4]
