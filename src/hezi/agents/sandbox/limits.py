"""What a sandboxed run may use (SandboxLimits) and what it gives back (SandboxResult)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hezi.errors import Unavailable
from hezi.settings import Settings

# Which limit stopped a run; None when the program ended by itself.
LimitHit = Literal["timeout", "cpu", "memory", "processes", "output", "file_size", "disk", "killed"]


class SandboxUnavailable(Unavailable):
    """bubblewrap is missing or cannot create its sandbox here; the code was not run."""

    code = "sandbox_unavailable"


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 5  # per process (RLIMIT_CPU)
    memory_bytes: int = 512 * 1024**2  # address space per process (RLIMIT_AS)
    processes: int = 64  # processes and threads of the run together (RLIMIT_NPROC, counted per sandbox)
    output_bytes: int = 1024**2  # stdout and stderr together; more stops the program
    disk_bytes: int = 64 * 1024**2  # size of the private /tmp, and the largest file (RLIMIT_FSIZE)
    open_files: int = 256  # RLIMIT_NOFILE
    max_code_chars: int = 200_000
    python: Path | None = None  # the interpreter; None: hezi's own if the sandbox user can read it, else the system's

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxLimits:
        return cls(
            wall_seconds=settings.sandbox_wall_seconds,
            cpu_seconds=settings.sandbox_cpu_seconds,
            memory_bytes=settings.sandbox_memory_bytes,
            processes=settings.sandbox_processes,
            output_bytes=settings.sandbox_output_bytes,
            disk_bytes=settings.sandbox_disk_bytes,
            python=settings.sandbox_python,
        )

    def replace(self, **changes: Any) -> SandboxLimits:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """What the program wrote (cut at the output limit), how it ended, and which limit stopped it, if one did."""

    stdout: str
    stderr: str
    exit_code: int | None  # None when the sandbox killed it (time or output limit)
    limit: LimitHit | None = None
    error: str | None = None  # for people and models: which limit stopped the program
    elapsed_ms: int = 0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stdout": self.stdout, "stderr": self.stderr, "exit_code": self.exit_code}
        if self.error:
            out["error"] = self.error
        return out
