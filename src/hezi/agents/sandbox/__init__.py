"""The Python code sandbox: user code runs in a separate process under bubblewrap, with no network, no host files
beyond a read-only Python, a fresh tmpfs, an unprivileged uid, and CPU, memory, process, file, output and wall-clock
limits.

`run_python(code, limits)` is the one entry point (the code-interpreter tool and workflow code nodes call it). Where
bubblewrap is missing or cannot start, it refuses with SandboxUnavailable; code never runs unsandboxed. It imports
only `hezi.errors` and `hezi.settings`.
"""

from hezi.agents.sandbox.limits import SandboxLimits, SandboxResult, SandboxUnavailable
from hezi.agents.sandbox.runner import run_python

__all__ = ["SandboxLimits", "SandboxResult", "SandboxUnavailable", "run_python"]
