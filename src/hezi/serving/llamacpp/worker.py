"""The worker process: one deployed GGUF model, served to hezi's API process over a Unix socket.

Run as `python -m hezi.serving.llamacpp.worker --model PATH --socket PATH …` by the supervisor. A crash here
(out of memory, a bad GGUF, a llama.cpp abort) ends this process only; the supervisor restarts it.

Protocol (internal, not OpenAI's): `POST /generate` takes `{"messages": […]}` (chat, rendered with the
model's template) or `{"prompt": "…"}` plus sampling fields, and streams NDJSON events:
`{"type":"start","prompt_tokens":N}`, `{"type":"token","text":…}`…, then `{"type":"done",…}` or
`{"type":"error",…}`. Refusals before generation starts are a 400 with `{"error": {code, message, details}}`.
`POST /warm` takes `{"key": …, "messages": […], "tools": […]}` (or `"prompt"`): the prompt is rendered as
/generate renders it and computed into a pinned sequence for `key` in the background (202).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hezi.serving.llamacpp import chat
from hezi.serving.llamacpp.embedding import ROLES, EmbeddingEngine
from hezi.serving.llamacpp.engine import EngineError, Job, LlamaEngine, SamplingParams

log = logging.getLogger("hezi.worker")


class QueueSink:
    """Hands engine-thread events to the request's asyncio task."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def _put(self, event: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, event)

    def token(self, text: str) -> None:
        self._put({"type": "token", "text": text})

    def done(self, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> None:
        self._put(
            {
                "type": "done",
                "finish_reason": finish_reason,
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
            }
        )

    def error(self, code: str, message: str) -> None:
        self._put({"type": "error", "code": code, "message": message})


def _refuse(code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details}}, status_code=400)


def _params(body: dict[str, Any], stop: list[str], grammar: str | None) -> SamplingParams:
    user_stop = body.get("stop") or []
    if isinstance(user_stop, str):
        user_stop = [user_stop]
    return SamplingParams(
        max_tokens=int(body.get("max_tokens") or 256),
        temperature=float(body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0),
        top_p=float(body.get("top_p", 1.0) if body.get("top_p") is not None else 1.0),
        seed=body.get("seed"),
        stop=[*user_stop, *stop],
        grammar=grammar,
    )


def build_app(engine: LlamaEngine, *, model_name: str) -> Starlette:
    template = engine.meta("tokenizer.chat_template")
    bos = engine.token_text(_int(engine.meta("tokenizer.ggml.bos_token_id")))
    eos = engine.token_text(_int(engine.meta("tokenizer.ggml.eos_token_id")))
    started = time.time()

    async def health(_: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "model": model_name,
                "pid": os.getpid(),
                "slots": len(engine.slots),
                "active": engine.active,
                "queued": engine.queued,
                "steps": engine.steps,  # decode calls so far: a busy engine that is alive advances it
                "jobs_cancelled": engine.jobs_cancelled,
                "tokens_generated": engine.tokens_generated,
                # Prompt tokens not computed again: from a slot's own cache, or copied from another sequence's.
                "prefix_copies": engine.prefix_copies,
                "tokens_reused": engine.tokens_reused,
                "tokens_copied": engine.tokens_copied,
                **engine.pinned_stats(),
                "pinned_keys": [p.key for p in engine.pins if p.key is not None],
                "context_per_sequence": engine.n_ctx_seq,
                "kv_unified": engine.kv_unified,
                "flash_attn": engine.flash_attn,
                "uptime_s": round(time.time() - started, 1),
            }
        )

    async def tokenize(request: Request) -> Response:
        body = await request.json()
        tokens = engine.tokenize(str(body.get("text", "")), add_special=bool(body.get("add_special", True)))
        return JSONResponse({"tokens": tokens, "count": len(tokens)})

    def prompt_tokens(body: dict[str, Any]) -> tuple[list[int], chat.PreparedChat | None]:
        if "messages" in body:
            prepared = chat.prepare(body, template=template, bos=bos, eos=eos)
            return engine.tokenize(prepared.prompt, add_special=prepared.add_special), prepared
        return engine.tokenize(str(body.get("prompt", "")), add_special=True), None

    async def warm(request: Request) -> Response:
        body = await request.json()
        key = body.get("key")
        if not isinstance(key, str) or not key:
            return _refuse("invalid_key", "'key' must be a non-empty string.")
        try:
            tokens, _ = prompt_tokens(body)
        except chat.ChatError as exc:
            return _refuse(exc.code, exc.message)
        queued = engine.warm(key, tokens)
        return JSONResponse({"queued": queued, "tokens": len(tokens)}, status_code=202)

    async def generate(request: Request) -> Response:
        body = await request.json()
        try:
            tokens, prepared = prompt_tokens(body)
            if prepared is not None:
                params = _params(body, prepared.stop, prepared.grammar)
                tool_names = prepared.tool_names
            else:
                params = _params(body, [], None)
                tool_names = []
            sink = QueueSink(asyncio.get_running_loop())
            job = Job(tokens=tokens, params=params, sink=sink)
            engine.submit(job)
        except chat.ChatError as exc:
            return _refuse(exc.code, exc.message)
        except EngineError as exc:
            return _refuse(exc.code, exc.message, exc.details)

        async def events() -> AsyncIterator[bytes]:
            try:
                start = {"type": "start", "prompt_tokens": len(tokens), "tool_names": tool_names}
                yield (json.dumps(start) + "\n").encode()
                while True:
                    batch = [await sink.queue.get()]
                    while not sink.queue.empty():  # send what has piled up in one write
                        batch.append(sink.queue.get_nowait())
                    yield "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in batch).encode()
                    if batch[-1]["type"] in ("done", "error"):
                        return
            finally:
                job.cancel()  # the client went away (or we are done): free the slot

        return StreamingResponse(events(), media_type="application/x-ndjson")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/tokenize", tokenize, methods=["POST"]),
            Route("/generate", generate, methods=["POST"]),
            Route("/warm", warm, methods=["POST"]),
        ]
    )


def build_embedding_app(embedder: EmbeddingEngine, *, model_name: str) -> Starlette:
    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "model": model_name, "pid": os.getpid(), "dimensions": embedder.dim})

    async def embed(request: Request) -> Response:
        body = await request.json()
        inputs = body.get("input")
        if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs):
            return _refuse("invalid_input", "'input' must be a list of strings.")
        role = body.get("role")
        if role is not None and role not in ROLES:
            return _refuse("invalid_input", f"'role' must be one of {', '.join(ROLES)}.")
        try:
            vectors, tokens = await asyncio.to_thread(
                embedder.embed, inputs, truncate=bool(body.get("truncate")), role=role
            )
        except EngineError as exc:
            return _refuse(exc.code, exc.message, exc.details)
        return JSONResponse({"data": vectors.tolist(), "prompt_tokens": tokens, "dimensions": embedder.dim})

    return Starlette(routes=[Route("/health", health), Route("/embed", embed, methods=["POST"])])


def _int(value: str | None) -> int:
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def _end_with_parent() -> None:
    """A worker must not outlive the hezi that started it: a server killed with SIGKILL cannot stop its workers,
    and orphans would hold the model's memory and socket. Linux sends SIGTERM when the parent goes."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent went before the request took effect
        sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    _end_with_parent()
    parser = argparse.ArgumentParser(description="hezi llama.cpp worker (started by hezi serve)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--ctx", type=int, default=2048, help="context length per sequence")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--threads", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument("--gpu-layers", type=int, default=0)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--pinned", type=int, default=0, help="sequences kept for published apps' prompt prefixes")
    parser.add_argument("--kv-unified", action="store_true", help="one KV cache for every sequence")
    parser.add_argument(
        "--flash-attn",
        choices=["auto", "on", "off"],
        default="auto",
        help="auto: off on the CPU with a cache per sequence, else on",
    )
    parser.add_argument("--kind", choices=["chat", "embedding"], default="chat")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # llama.cpp's debug lines (one per layer and graph) would bury what the console's log view is for.
    logging.getLogger("llama-cpp-python").setLevel(logging.INFO)

    app: Starlette
    engine: LlamaEngine | None = None
    if args.kind == "embedding":
        embedder = EmbeddingEngine(
            args.model,
            n_ctx=args.ctx,
            n_parallel=args.parallel,
            n_threads=args.threads,
            n_gpu_layers=args.gpu_layers,
        )
        app = build_embedding_app(embedder, model_name=args.name)
        log.info("embedding model %s loaded; %d dimensions", args.name, embedder.dim)
    else:
        engine = LlamaEngine(
            args.model,
            n_ctx_per_seq=args.ctx,
            n_parallel=args.parallel,
            n_threads=args.threads,
            n_gpu_layers=args.gpu_layers,
            n_batch=args.batch,
            n_pinned=args.pinned,
            kv_unified=args.kv_unified,
            flash_attn={"auto": None, "on": True, "off": False}[args.flash_attn],
        )
        engine.start()
        app = build_app(engine, model_name=args.name)
        log.info("model %s loaded; %d slots × %d tokens", args.name, args.parallel, engine.n_ctx_seq)
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    config = uvicorn.Config(app, uds=args.socket, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    try:
        server.run()
    finally:
        if engine is not None:
            engine.stop()


if __name__ == "__main__":
    main()
