"""Running a program in the sandbox: asyncio subprocesses (the event loop keeps serving), output read up to a
limit, a wall-clock limit, and the sandbox killed whenever the run ends early (a limit, or the caller cancelled).

Killing bubblewrap kills the whole sandbox: its PID namespace's first process dies with it (--die-with-parent),
and the kernel then kills every process left in the namespace, forked or detached.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time

from hezi.agents.sandbox import command
from hezi.agents.sandbox.limits import LimitHit, SandboxLimits, SandboxResult, SandboxUnavailable
from hezi.errors import InvalidInput

_CHUNK = 64 * 1024
# The line a Python traceback ends with ("MemoryError", "BlockingIOError: [Errno 11] ...").
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception)\b")


class _Run:
    """One sandboxed process: its output so far, within the byte budget, and the limit that stopped it."""

    def __init__(self, proc: asyncio.subprocess.Process, output_bytes: int) -> None:
        self.proc = proc
        self.room = output_bytes
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.limit: LimitHit | None = None

    async def feed(self, program: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # bubblewrap failed: its stderr says why
            stdin.write(program)
            await stdin.drain()
        stdin.close()

    async def pump(self, stream: asyncio.StreamReader | None, sink: bytearray) -> None:
        """Keep what fits in the output budget; read on to the end regardless (asyncio's wait() returns only once
        every pipe has closed)."""
        assert stream is not None
        while chunk := await stream.read(_CHUNK):
            kept = chunk[: self.room]
            sink += kept
            self.room -= len(kept)
            if len(kept) < len(chunk):
                self.stop("output")

    def stop(self, limit: LimitHit) -> None:
        self.limit = self.limit or limit
        self.kill()

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # bubblewrap leads a process group of its own


async def run_python(code: str, limits: SandboxLimits) -> SandboxResult:
    """Run `code` as a Python program in a fresh sandbox; what it printed, how it ended, which limit stopped it.

    An exception in the program is a normal result (its traceback on stderr, exit code 1). SandboxUnavailable
    when bubblewrap is missing or cannot start here: the code is then not run at all."""
    if len(code) > limits.max_code_chars:
        raise InvalidInput(f"The code is longer than {limits.max_code_chars} characters.", code="code_too_long")
    cmd = command.build(limits)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *cmd.argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={},
        start_new_session=True,
    )
    run = _Run(proc, limits.output_bytes)
    pumps = [
        asyncio.create_task(run.pump(proc.stdout, run.stdout)),
        asyncio.create_task(run.pump(proc.stderr, run.stderr)),
    ]
    ended = asyncio.create_task(proc.wait())
    try:
        async with asyncio.timeout(limits.wall_seconds):
            await run.feed(code.encode())
            await asyncio.wait([*pumps, ended])  # waits without cancelling them
    except TimeoutError:
        run.stop("timeout")
    finally:
        run.kill()  # a no-op once it has ended; on cancellation it must not outlive its caller
        # The pipes close once the sandbox's last process is gone, which killing bubblewrap brings at once.
        _, unfinished = await asyncio.wait([*pumps, ended], timeout=5)
        for task in unfinished:
            task.cancel()
    return _result(run, limits, int((time.monotonic() - started) * 1000))


def _result(run: _Run, limits: SandboxLimits, elapsed_ms: int) -> SandboxResult:
    stdout = run.stdout.decode("utf-8", errors="replace")
    stderr = run.stderr.decode("utf-8", errors="replace")
    code = run.proc.returncode
    if run.limit is None and code == 1 and stderr.startswith("bwrap: ") and not stdout:
        raise SandboxUnavailable(f"The code sandbox cannot start here: {stderr.strip()}")
    limit = run.limit or _limit_of(code, stderr)
    killed = run.limit in ("timeout", "output")
    return SandboxResult(
        stdout=stdout,
        stderr=stderr,
        exit_code=None if killed else code,
        limit=limit,
        error=_explain(limit, limits) if limit else None,
        elapsed_ms=elapsed_ms,
    )


def _limit_of(code: int | None, stderr: str) -> LimitHit | None:
    """The limit a program that ended by itself ran into, from its exit status (bubblewrap reports death by
    signal N as 128 + N) or, for limits Python turns into exceptions, the last line of its traceback."""
    if code in (None, 0):
        return None
    by_signal: dict[int, LimitHit] = {
        128 + signal.SIGXCPU: "cpu",
        128 + signal.SIGXFSZ: "file_size",
        128 + signal.SIGKILL: "killed",
    }
    if code in by_signal:
        return by_signal[code]
    last = _last_exception(stderr)
    if last.startswith("MemoryError"):
        return "memory"
    if last.startswith("BlockingIOError: [Errno 11]") or "can't start new thread" in last:
        return "processes"
    if "[Errno 27]" in last:
        return "file_size"
    if "[Errno 28]" in last:
        return "disk"
    return None


def _last_exception(stderr: str) -> str:
    """The last exception line of stderr. Not simply its last line: a fork bomb's children keep writing their own
    tracebacks after the first process has died, so the lines of several tracebacks end up interleaved."""
    for line in reversed(stderr.splitlines()):
        if _EXCEPTION_LINE.match(line):
            return line
    return ""


def _explain(limit: LimitHit, limits: SandboxLimits) -> str:
    messages: dict[LimitHit, str] = {
        "timeout": f"Time limit: the program ran longer than {limits.wall_seconds:g} s and was stopped.",
        "cpu": f"CPU limit: a process used more than {limits.cpu_seconds} s of CPU time and was stopped.",
        "memory": f"Memory limit: the program tried to use more than {_size(limits.memory_bytes)}.",
        "processes": f"Process limit: the program may run at most {limits.processes} processes and threads.",
        "output": f"Output limit: the program printed more than {_size(limits.output_bytes)} and was stopped.",
        "file_size": f"File size limit: files may be at most {_size(limits.disk_bytes)}.",
        "disk": f"Disk limit: the program's /tmp holds at most {_size(limits.disk_bytes)}.",
        "killed": "The program was killed (it may have run out of memory or CPU time).",
    }
    return messages[limit]


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
