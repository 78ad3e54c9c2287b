"""llama.cpp's server in a child process of the llm service (the `llama-server` backend).

`python -m tradingstack.llm.llama_server --model X.gguf ...` loads the GGUF into llama.cpp's
native server (the xllamacpp wheel: prebuilt for Linux x86_64 and aarch64, no compile step),
which listens on a free loopback port and speaks llama.cpp's HTTP API (`/health`,
`/v1/chat/completions`, streamed or not, with JSON-schema constrained output). It prints one
line, `LISTENING <url>`, on stdout once the model is loaded, then serves until its stdin closes
(the llm service stopped, or died: no orphan is left) or it gets SIGTERM/SIGINT.

A separate process keeps a crash of the native code (a SIGSEGV in a ggml kernel) from taking
the service down: the service sees the process end and starts a new one
(`tradingstack.llm.backends.LlamaServerBackend`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

READY = "LISTENING"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tradingstack.llm.llama_server")
    p.add_argument("--model", required=True, help="the GGUF file")
    p.add_argument("--n-ctx", type=int, default=4096)
    p.add_argument("--threads", type=int, default=None, help="decode threads (default: all)")
    p.add_argument("--threads-batch", type=int, default=None, help="prompt threads")
    p.add_argument("--n-gpu-layers", type=int, default=-1)
    p.add_argument("--chat-template", default=None, help="e.g. chatml, gemma")
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    return p.parse_args(argv)


def params(args: argparse.Namespace) -> Any:
    import xllamacpp as xlc

    prm = xlc.CommonParams()
    prm.model.path = args.model
    prm.n_ctx = args.n_ctx
    prm.n_parallel = 1  # one generation at a time: the machine has few cores
    prm.n_gpu_layers = args.n_gpu_layers
    prm.port = args.port
    if args.threads:
        prm.cpuparams.n_threads = args.threads
    if args.threads_batch:
        prm.cpuparams_batch.n_threads = args.threads_batch
    if args.chat_template:
        prm.chat_template = args.chat_template
    return prm


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import xllamacpp as xlc

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def watch_stdin() -> None:  # the parent closed our stdin (it stopped, or died)
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    try:
        server = xlc.Server(params(args))
    except Exception as exc:  # a missing or unreadable GGUF: say why on stderr, exit 2
        print(f"llama.cpp could not load {args.model}: {exc}", file=sys.stderr, flush=True)
        return 2
    print(f"{READY} {server.listening_address}", flush=True)
    threading.Thread(target=watch_stdin, daemon=True).start()
    while not stop.wait(0.5):
        pass
    del server  # stops llama.cpp's loop and frees the model
    return 0


if __name__ == "__main__":
    sys.exit(main())
