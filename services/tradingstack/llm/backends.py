"""LLM backends: embedded llama-cpp-python (default) and Ollama (through the `ollama` client).

Both take chat messages; `complete(..., schema=...)` constrains the answer to a JSON schema
(llama.cpp: a grammar compiled from the schema; Ollama: `format=<schema>`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from tradingstack.llm.settings import LlmSettings

Message = dict[str, str]


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
                raise BackendError(422, f"llama.cpp refused the prompt: {exc}") from exc
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
                refused = BackendError(422, f"llama.cpp refused the prompt: {exc}")
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
            return BackendError(
                502,
                f"Ollama at {self.url} broke off the answer after {pieces} pieces "
                f"({type(exc).__name__}: {exc or 'connection closed'}); the reply is incomplete",
            )
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
    return LlamaCppBackend(settings)
