"""Schemathesis over every service's OpenAPI through the gateway of the real local stack:
no 5xx, and every answer (status, media type, body, headers) as the document says.

A small budget (a fixed seed, 5 examples per operation, at most 30 s per service) keeps it in
CI; `python -m bench.fuzz` is the larger run. The analyst (llm) is in it with tiny generation
budgets (`FUZZ_ENV`: 16 tokens per chat reply, one short rationale try per analysis)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jsonschema_rs
import pytest

from tests.fuzzing import FUZZ_ENV, TOKEN, FuzzResult, fuzz_service, fuzzable
from tests.local_stack import REPO, RunningStack, start_stack, wanted_services

pytestmark = pytest.mark.slow

EXAMPLES = 5
SEED = 1
SECONDS_PER_SERVICE = 30
ARTIFACTS = REPO / "artifacts" / "fuzz"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("fuzz-stack")
    running = start_stack(wanted_services(), state, FUZZ_ENV)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("service", fuzzable(wanted_services()))
def test_the_api_answers_every_generated_request_as_documented(
    stack: RunningStack, service: str
) -> None:
    if service not in stack.services:
        pytest.fail(f"{service} did not start: {stack.dropped.get(service, '')}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result: FuzzResult = fuzz_service(
        stack.base, service, ARTIFACTS, examples=EXAMPLES, seed=SEED, max_time=SECONDS_PER_SERVICE
    )
    assert result.operations > 0, result.output[-3000:]
    assert result.ok, result.output[-6000:]


def _documented(doc: dict, path: str, resp: httpx.Response) -> bool:
    """The answer's status and media type are in the operation's responses."""
    responses = doc["paths"][path]["post"]["responses"]
    media = resp.headers.get("content-type", "").split(";")[0]
    return media in responses.get(str(resp.status_code), {}).get("content", {})


def test_the_chat_documents_its_stream_and_an_unknown_session(stack: RunningStack) -> None:
    """The two answers the nightly-sized fuzz found undocumented (ST103, ST105)."""
    if "llm" not in stack.services:
        pytest.fail(f"llm did not start: {stack.dropped.get('llm', '')}")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=stack.base + "/llm", headers=auth, timeout=120) as c:
        doc = c.get("/openapi.json").json()
        r = c.post("/api/v1/chat", json={"message": "hello", "session_id": "no-such-session"})
        assert r.status_code == 404, r.text
        assert _documented(doc, "/api/v1/chat", r), doc["paths"]["/api/v1/chat"]["post"]
        with c.stream("POST", "/api/v1/chat", json={"message": "hello", "stream": True}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert _documented(doc, "/api/v1/chat", r), doc["paths"]["/api/v1/chat"]["post"]
            text = r.read().decode()
        assert "event: done" in text
        # every event as the document describes one (schemathesis' ST108 found the string)
        schema = doc["paths"]["/api/v1/chat"]["post"]["responses"]["200"]["content"]
        validator = jsonschema_rs.validator_for(schema["text/event-stream"]["schema"])
        for block in filter(None, text.split("\n\n")):
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            event = {"event": fields.get("event", "message"), "data": fields["data"]}
            assert not list(validator.iter_errors(event)), event


def test_a_chat_message_longer_than_the_context_is_the_clients_422(stack: RunningStack) -> None:
    """A message the model's context cannot hold was a 502 ("llama.cpp failed while
    generating"): a server error for the client's input."""
    if "llm" not in stack.services:
        pytest.fail(f"llm did not start: {stack.dropped.get('llm', '')}")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    too_long = {"message": "0" * 7000}  # 7000 tokens; the context holds 4096
    with httpx.Client(base_url=stack.base + "/llm", headers=auth, timeout=120) as c:
        r = c.post("/api/v1/chat", json=too_long)
        assert r.status_code == 422, r.text
        assert "context window" in r.json()["detail"]
        r = c.post("/api/v1/chat", json={**too_long, "stream": True})
        assert r.status_code == 200 and 'event: error\ndata: {"status": 422' in r.text, r.text
