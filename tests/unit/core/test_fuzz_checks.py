"""The fuzzer passes only the planned 5xx: a model being prepared, with its job and Retry-After."""

from __future__ import annotations

from tests.fuzz_checks import MODEL_PREPARING, is_model_being_prepared

JOB = {"id": "b3c34d192894", "state": "queued"}
BODY = {"type": MODEL_PREPARING, "status": 503, "job": JOB}


def test_a_model_being_prepared_is_the_planned_503() -> None:
    assert is_model_being_prepared(503, {"Retry-After": ["30"]}, BODY)


def test_every_other_5xx_fails() -> None:
    assert not is_model_being_prepared(500, {"Retry-After": ["30"]}, BODY)
    assert not is_model_being_prepared(503, {}, BODY)  # no Retry-After
    assert not is_model_being_prepared(503, {"retry-after": ["5"]}, {**BODY, "job": None})
    unavailable = {**BODY, "type": "urn:tradingstack:problem:upstream-unavailable"}
    assert not is_model_being_prepared(503, {"retry-after": ["5"]}, unavailable)
    assert not is_model_being_prepared(503, {"retry-after": ["5"]}, "Service Unavailable")
