"""LLM backends: llama.cpp's server in a child process (`llama-server`, the default;
xllamacpp's prebuilt wheel), llama-cpp-python in-process (`llamacpp`, the `llama-cpp` extra)
and Ollama (through the `ollama` client).

All take chat messages; `complete(..., schema=...)` constrains the answer to a JSON schema
(llama.cpp: a grammar compiled from the schema; Ollama: `format=<schema>`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from tradingstack.llm.settings import LlmSettings

Message = dict[str, str]
log = logging.getLogger("tradingstack.llm")


@dataclass(frozen=True)
class Finish:
    """The last item of a stream: why the model stopped ("stop", or "length" at the cap)."""

    reason: str


class BackendError(Exception):
    """The model could not answer; `status` is the HTTP status the service should answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def refused_prompt(n_ctx: int, said: str) -> BackendError:
    """The client's 422 for a prompt that llama.cpp refused (one past its context, mostly), in
    the same words whichever llama.cpp backend refused it."""
    return BackendError(
        422,
        f"llama.cpp refused the prompt; a prompt longer than the model's context window "
        f"({n_ctx} tokens) does not fit: shorten the message or the history ({said})",
    )


def broken_off(server: str, pieces: int, cause: str) -> BackendError:
    """A stream that ended after `pieces` pieces without its finish: a 502, since the reply the
    client has is incomplete (before the first piece the server is unreachable instead)."""
    return BackendError(
        502,
        f"{server} broke off the answer after {pieces} pieces ({cause}); the reply is incomplete",
    )


class Backend(Protocol):
    name: str
    model: str

    async def start(self) -> None: ...

    async def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str: ...

    def stream(
        self, messages: list[Message], *, max_tokens: int | None = None
    ) -> AsyncIterator[str | Finish]:
        """The answer's pieces, then one `Finish`."""
        ...

    async def health(self) -> tuple[str, dict[str, Any]]: ...

    async def aclose(self) -> None: ...


class LlamaCppBackend:
    """llama-cpp-python in-process; one generation at a time (the model is not thread-safe)."""

    name = "llamacpp"

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.model = settings.model_name()
        self._llm: Any = None
        self._lock = threading.Lock()
        self.error: str | None = None

    def _load(self) -> None:
        from llama_cpp import Llama

        if not Path(self.model).is_file():
            raise BackendError(
                503, f"GGUF model file {self.model} does not exist; set TS_LLM_MODEL to a GGUF path"
            )
        self._llm = Llama(
            model_path=self.model,
            n_ctx=self.settings.n_ctx,
            n_threads=self.settings.n_threads,
            n_threads_batch=self.settings.n_threads_batch or self.settings.n_threads,
            n_gpu_layers=self.settings.n_gpu_layers,
            seed=self.settings.seed,
            chat_format=self.settings.chat_format,
            verbose=False,
        )
        meta = self._llm.metadata
        if (
            self.settings.chat_format is None
            and "tokenizer.chat_template" not in meta
            and str(meta.get("general.architecture", "")).startswith("gemma")
        ):
            # a Gemma GGUF without a template (the base model's): Gemma's turn format
            self._llm.chat_format = "gemma"

    async def start(self) -> None:
        if self._llm is None:
            try:
                await asyncio.to_thread(self._load)
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"

    def _require(self) -> Any:
        if self._llm is None:
            raise BackendError(
                503, f"the llama.cpp model is not loaded: {self.error or 'starting'}"
            )
        return self._llm

    def _kwargs(self, max_tokens: int | None) -> dict[str, Any]:
        return {
            "max_tokens": max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
            "repeat_penalty": self.settings.repeat_penalty,
        }

    def _complete(
        self, messages: list[Message], schema: dict[str, Any] | None, max_tokens: int | None
    ) -> str:
        llm = self._require()
        fmt = {"type": "json_object", "schema": schema} if schema is not None else None
        with self._lock:
            try:
                out = llm.create_chat_completion(
                    messages=messages, response_format=fmt, **self._kwargs(max_tokens)
                )
            except ValueError as exc:  # e.g. the prompt exceeds n_ctx
                raise refused_prompt(self.settings.n_ctx, str(exc)) from exc
        return str(out["choices"][0]["message"].get("content") or "")

    async def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str:
        return await asyncio.to_thread(self._complete, messages, schema, max_tokens)

    async def stream(
        self, messages: list[Message], *, max_tokens: int | None = None
    ) -> AsyncIterator[str | Finish]:
        llm = self._require()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                with self._lock:
                    for part in llm.create_chat_completion(
                        messages=messages, stream=True, **self._kwargs(max_tokens)
                    ):
                        if stop.is_set():
                            break
                        choice = part["choices"][0]
                        delta = choice["delta"].get("content")
                        if delta:
                            loop.call_soon_threadsafe(queue.put_nowait, ("data", delta))
                        if choice.get("finish_reason"):
                            reason = Finish(str(choice["finish_reason"]))
                            loop.call_soon_threadsafe(queue.put_nowait, ("data", reason))
            except ValueError as exc:  # e.g. the prompt exceeds n_ctx: the client's, as above
                refused = refused_prompt(self.settings.n_ctx, str(exc))
                loop.call_soon_threadsafe(queue.put_nowait, ("error", refused))
            except Exception as exc:
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    if isinstance(value, BackendError):
                        raise value
                    raise BackendError(502, f"llama.cpp failed while generating: {value}")
                yield value
        finally:
            stop.set()

    async def health(self) -> tuple[str, dict[str, Any]]:
        details: dict[str, Any] = {"backend": self.name, "model": Path(self.model).name}
        if self._llm is None:
            details["error"] = self.error or "model loading"
            return "unhealthy", details
        return "healthy", details

    async def aclose(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None:
            with self._lock:
                llm.close()


def spare_one_cpu() -> int:
    """llama-server's threads when TS_LLM_N_THREADS is unset: one less than the CPUs this
    process may run on, at least one. llama.cpp's threads wait for each other at every step,
    so one descheduled thread stalls them all; the stack's other services, a training job and
    the server's own HTTP thread share the cores. Measured on 2 busy cores (3 other CPU-bound
    processes): 60 streamed tokens took 1.57 s with 1 thread and 5.19 s with 2 (median of 6);
    idle, 0.78 s and 0.53 s."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; macOS has none
    cpus = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    return max(1, cpus - 1)


class LlamaServerBackend:
    """llama.cpp's server (`tradingstack.llm.llama_server`) in a child process, over its HTTP
    API: started with the service, watched (a process that dies is started again, after a
    pause that grows with each death in a row), stopped with the service (stdin closed, then
    SIGTERM, then SIGKILL). While it (re)starts, requests answer 503."""

    name = "llama-server"

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.model = settings.model_name()
        self.url: str | None = None
        self.error: str | None = None
        self.restarts = 0
        self.pid: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._drain: asyncio.Task[None] | None = None
        self._closing = False
        self._log: deque[str] = deque(maxlen=40)  # the child's last stderr lines
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(settings.ollama_timeout_seconds))

    def command(self) -> list[str]:
        s = self.settings
        cmd = [sys.executable, "-m", "tradingstack.llm.llama_server", "--model", self.model]
        cmd += ["--n-ctx", str(s.n_ctx), "--n-gpu-layers", str(s.n_gpu_layers)]
        threads = s.n_threads or spare_one_cpu()
        cmd += ["--threads", str(threads), "--threads-batch", str(s.n_threads_batch or threads)]
        if s.chat_format:
            cmd += ["--chat-template", s.chat_format]
        return cmd

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            self._log.append(line.decode(errors="replace").rstrip())

    def _last_log(self) -> str:
        lines = [x for x in self._log if x.strip()]
        return " | ".join(lines[-3:])[-600:]

    async def _spawn(self) -> None:
        """Start the child and wait for its `LISTENING <url>` line."""
        if not await asyncio.to_thread(Path(self.model).is_file):
            raise BackendError(
                503, f"GGUF model file {self.model} does not exist; set TS_LLM_MODEL to a GGUF path"
            )
        self._log.clear()
        proc = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._proc, self.pid = proc, proc.pid
        assert proc.stdout is not None and proc.stderr is not None
        self._drain = asyncio.create_task(self._drain_stderr(proc.stderr))
        deadline = time.monotonic() + self.settings.server_start_timeout_seconds
        while True:
            left = deadline - time.monotonic()
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), max(left, 0.01))
            except TimeoutError:
                await self._stop(proc)
                raise BackendError(
                    503,
                    f"llama-server did not load {Path(self.model).name} within "
                    f"{self.settings.server_start_timeout_seconds:g} s",
                ) from None
            if not line:  # it exited before it listened
                await proc.wait()
                await asyncio.sleep(0.05)  # the last stderr lines
                raise BackendError(
                    503,
                    f"llama-server exited with code {proc.returncode} while loading: "
                    f"{self._last_log() or 'no output'}",
                )
            text = line.decode(errors="replace").strip()
            if text.startswith("LISTENING "):
                self.url = text.split(" ", 1)[1]
                self.error = None
                return

    async def start(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            return
        try:
            await self._spawn()
        except BackendError as exc:
            self.error = exc.detail
            return
        self._watch = asyncio.create_task(self._watcher())

    async def _watcher(self) -> None:
        """Start the server again whenever it dies (not when the service stops it)."""
        failures = 0
        while not self._closing:
            proc = self._proc
            if proc is None:
                return
            code = await proc.wait()
            if self._closing:
                return
            self.url = None
            self.error = f"llama-server exited with code {code}; restarting"
            log.warning("llama-server (pid %s) exited with code %s: %s", proc.pid, code,
                        self._last_log())  # fmt: skip
            while not self._closing:
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                failures += 1
                try:
                    await self._spawn()
                except BackendError as exc:
                    self.error = f"{exc.detail}; retrying"
                    continue
                self.restarts += 1
                failures = 0
                break

    def _require(self) -> str:
        if self.url is None:
            raise BackendError(
                503, f"the llama.cpp server is not ready: {self.error or 'starting'}"
            )
        return self.url

    def _body(self, messages: list[Message], max_tokens: int | None) -> dict[str, Any]:
        return {
            "messages": messages,
            "max_tokens": max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
            "repeat_penalty": self.settings.repeat_penalty,
            "cache_prompt": True,
        }

    def _answer_error(self, status: int, text: str) -> BackendError:
        try:
            err = json.loads(text).get("error", {})
            message, kind = str(err.get("message", text)), str(err.get("type", ""))
        except (ValueError, AttributeError):
            message, kind = text[:300], ""
        if status == 400 and "context" in kind:  # the prompt exceeds n_ctx: the client's
            return refused_prompt(self.settings.n_ctx, message)
        if status == 503:
            return BackendError(503, f"the llama.cpp server is loading: {message}")
        return BackendError(502, f"llama.cpp answered HTTP {status}: {message}")

    def _unreachable(self, exc: Exception, pieces: int = 0) -> BackendError:
        if pieces:
            return broken_off("llama-server", pieces, type(exc).__name__)
        return BackendError(503, f"llama-server is unreachable ({type(exc).__name__}): restarting")

    async def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str:
        url = self._require()
        body = self._body(messages, max_tokens)
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"schema": schema}}
        try:
            resp = await self._http.post(f"{url}/v1/chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if resp.status_code != 200:
            raise self._answer_error(resp.status_code, resp.text)
        return str(resp.json()["choices"][0]["message"].get("content") or "")

    async def stream(
        self, messages: list[Message], *, max_tokens: int | None = None
    ) -> AsyncIterator[str | Finish]:
        url = self._require()
        body = {**self._body(messages, max_tokens), "stream": True}
        pieces = 0
        try:
            async with self._http.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
                if r.status_code != 200:
                    raise self._answer_error(r.status_code, (await r.aread()).decode())
                async for line in r.aiter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    part = json.loads(line[6:])
                    if "error" in part:
                        raise BackendError(
                            502, f"llama.cpp failed while generating: {part['error']}"
                        )
                    choice = part["choices"][0]
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        pieces += 1
                        yield delta
                    if choice.get("finish_reason"):
                        yield Finish(str(choice["finish_reason"]))
        except httpx.HTTPError as exc:
            raise self._unreachable(exc, pieces) from exc

    async def health(self) -> tuple[str, dict[str, Any]]:
        details: dict[str, Any] = {
            "backend": self.name,
            "model": Path(self.model).name,
            "pid": self.pid,
            "restarts": self.restarts,
        }
        if self.url is None:
            details["error"] = self.error or "starting"
            return "unhealthy", details
        try:
            resp = await self._http.get(f"{self.url}/health", timeout=5.0)
        except httpx.HTTPError as exc:
            details["error"] = f"llama-server does not answer ({type(exc).__name__})"
            return "unhealthy", details
        if resp.status_code != 200:
            details["error"] = f"llama-server /health answered {resp.status_code}"
            return "unhealthy", details
        return "healthy", details

    async def _stop(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 5.0)
            except TimeoutError:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 5.0)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain

    async def aclose(self) -> None:
        self._closing = True
        self.url = None
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        if self._proc is not None:
            await self._stop(self._proc)
        await self._http.aclose()


class OllamaBackend:
    """The Ollama server (`TS_LLM_OLLAMA_URL`) through the `ollama` python client."""

    name = "ollama"

    def __init__(self, settings: LlmSettings) -> None:
        import ollama

        self.settings = settings
        self.model = settings.model_name()
        self.url = settings.ollama_url
        self._client = ollama.AsyncClient(host=self.url, timeout=settings.ollama_timeout_seconds)

    async def start(self) -> None:
        return None

    def _options(self, max_tokens: int | None) -> dict[str, Any]:
        options: dict[str, Any] = {
            "num_predict": max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
            "repeat_penalty": self.settings.repeat_penalty,
        }
        if self.settings.n_threads:  # as llama.cpp's n_threads; else Ollama's own choice
            options["num_thread"] = self.settings.n_threads
        return options

    def _missing_model(self) -> str:
        m = self.model
        return (
            f"pull it (`ollama pull {m}`), or create it from a GGUF file (`ollama create {m} "
            "-f Modelfile`, the Modelfile saying `FROM ./model.gguf`), or set TS_LLM_MODEL to "
            "a model the server has"
        )

    def _error(self, exc: Exception, pieces: int = 0) -> BackendError:
        """What a failed call means to the caller. `pieces`: how much of a streamed answer had
        arrived (a stream broken off after the first piece is an incomplete answer, not an
        unreachable server)."""
        import ollama

        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404:
                return BackendError(
                    503,
                    f"Ollama at {self.url} does not have model {self.model!r} ({exc.error}); "
                    + self._missing_model(),
                )
            if exc.status_code == -1:  # an error line in the stream: the runner failed
                return BackendError(
                    502, f"Ollama failed while generating (after {pieces} pieces): {exc.error}"
                )
            return BackendError(502, f"Ollama answered HTTP {exc.status_code}: {exc.error}")
        if pieces:
            cause = f"{type(exc).__name__}: {exc or 'connection closed'}"
            return broken_off(f"Ollama at {self.url}", pieces, cause)
        return BackendError(503, f"Ollama is unreachable at {self.url}: {exc}")

    async def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str:
        try:
            resp = await self._client.chat(
                model=self.model,
                messages=messages,
                stream=False,
                format=schema,
                options=self._options(max_tokens),
            )
        except (ConnectionError, httpx.HTTPError, Exception) as exc:
            raise self._error(exc) from exc
        return str(resp.message.content or "")

    async def stream(
        self, messages: list[Message], *, max_tokens: int | None = None
    ) -> AsyncIterator[str | Finish]:
        pieces = 0
        try:
            parts = await self._client.chat(
                model=self.model, messages=messages, stream=True, options=self._options(max_tokens)
            )
            async for part in parts:
                if part.message.content:
                    pieces += 1
                    yield part.message.content
                if part.done:
                    yield Finish(str(part.done_reason or "stop"))
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc, pieces) from exc

    async def health(self) -> tuple[str, dict[str, Any]]:
        details: dict[str, Any] = {"backend": self.name, "model": self.model, "url": self.url}
        try:
            listed = await self._client.list()
        except Exception as exc:
            details["error"] = str(self._error(exc))
            return "degraded", details
        names = {str(m.model) for m in listed.models}
        if self.model not in names and f"{self.model}:latest" not in names:
            details["error"] = (
                f"model {self.model!r} is not pulled (have: {sorted(names)}); "
                + self._missing_model()
            )
            return "degraded", details
        return "healthy", details

    async def aclose(self) -> None:
        client = getattr(self._client, "_client", None)
        if client is not None:
            await client.aclose()


def make_backend(settings: LlmSettings) -> Backend:
    if settings.backend == "ollama":
        return OllamaBackend(settings)
    if settings.backend == "llamacpp":
        return LlamaCppBackend(settings)
    return LlamaServerBackend(settings)
