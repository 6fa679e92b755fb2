"""The bubblewrap command line for one run: which interpreter, what the sandbox sees, whom the code runs as.

The sandbox sees /usr (and the /bin, /lib, /lib64 that point into it) and the interpreter's own prefix, read-only;
a fresh size-limited tmpfs as /tmp and working directory; a new /proc and a minimal read-only /dev. Nothing else of
the host: not /etc, not /root or /home, not hezi's virtual environment or data directory. It has no network (a new,
empty network namespace), its own PID, IPC and UTS namespaces, and an empty environment.

Where hezi runs as root, bubblewrap is started as `nobody` (65534): a sandboxed process must not be root outside
its namespace either, because the kernel does not enforce RLIMIT_NPROC on root, so a fork bomb would go unchecked.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from hezi.agents.sandbox.limits import SandboxLimits, SandboxUnavailable

NOBODY = 65534
SYSTEM_DIRS = ("/bin", "/lib", "/lib64")  # symlinks into /usr on merged-/usr systems, directories elsewhere
WORKDIR = "/tmp"  # noqa: S108 - inside the sandbox: its own fresh tmpfs

# Runs first inside the sandbox: stores the program (read from stdin) in the working directory, applies the
# limits, then replaces itself with a fresh interpreter running the program (so a traceback shows only its lines).
BOOT = """\
import os, resource, sys
cpu, memory, processes, file_size, open_files = map(int, sys.argv[1:])
with open("main.py", "wb") as f:
    f.write(sys.stdin.buffer.read())
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
for which, soft, hard in (
    (resource.RLIMIT_CPU, cpu, cpu + 1),
    (resource.RLIMIT_AS, memory, memory),
    (resource.RLIMIT_NPROC, processes, processes),
    (resource.RLIMIT_FSIZE, file_size, file_size),
    (resource.RLIMIT_NOFILE, open_files, open_files),
    (resource.RLIMIT_CORE, 0, 0),
):
    resource.setrlimit(which, (soft, hard))
os.execv(sys.executable, [sys.executable, "-I", "main.py"])
"""


# Started by hezi's own interpreter when hezi is root: becomes `nobody` (uid and gid, no other groups), then
# bubblewrap. (asyncio's `user=` would do, but uvloop, which serves hezi, does not take it.)
DROP_PRIVILEGES = """\
import os, sys
uid = int(sys.argv[1])
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass(frozen=True, slots=True)
class Command:
    argv: list[str]
    user: int | None  # whom bubblewrap runs as, when not hezi's own user


def build(limits: SandboxLimits) -> Command:
    """The command for one run under `limits`; SandboxUnavailable when bubblewrap or a usable Python is missing."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "The code sandbox needs bubblewrap (bwrap), which is not installed: run `make bubblewrap` (or "
            "`apt-get install bubblewrap`). Code is never run outside the sandbox."
        )
    user = NOBODY if os.geteuid() == 0 else None
    python = interpreter(limits.python, user)
    argv = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--uid", str(NOBODY),
        "--gid", str(NOBODY),
        "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr",
    ]  # fmt: skip
    argv += _system_dirs()
    if not any(python.is_relative_to(d) for d in ("/usr", *SYSTEM_DIRS)):
        prefix = python.parent.parent  # <prefix>/bin/python3.x: its standard library and libpython are below
        argv += ["--ro-bind", str(prefix), str(prefix)]
    argv += [
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(limits.disk_bytes), "--tmpfs", WORKDIR,
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--chdir", WORKDIR,
        "--clearenv",
        "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
        "--setenv", "HOME", WORKDIR,
        "--setenv", "TMPDIR", WORKDIR,
        "--setenv", "LANG", "C.UTF-8",
        "--",
        str(python), "-I", "-c", BOOT,
        str(limits.cpu_seconds), str(limits.memory_bytes), str(limits.processes), str(limits.disk_bytes),
        str(limits.open_files),
    ]  # fmt: skip
    if user is not None:
        argv = [sys.executable, "-I", "-S", "-c", DROP_PRIVILEGES, str(user), *argv]
    return Command(argv, user)


def interpreter(configured: Path | None, user: int | None) -> Path:
    """The Python the code runs under, resolved: the one configured, else hezi's own base interpreter (not its
    virtual environment) when the sandbox user can run it, else the system's /usr/bin/python3."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [configured] if configured else [Path(sys.base_prefix) / "bin" / version, Path("/usr/bin/python3")]
    for candidate in candidates:
        path = candidate.resolve()
        if path.is_file() and (user is None or _runnable_by(path, user)):
            return path
    raise SandboxUnavailable(
        f"No Python the sandbox can run: tried {', '.join(map(str, candidates))}"
        + (f" as uid {user}" if user is not None else "")
        + ". Set HEZI_SANDBOX_PYTHON to an interpreter outside /root and /home."
    )


def _runnable_by(path: Path, uid: int) -> bool:
    """Whether `uid`, in group `uid` and no other, may search every directory above `path` and run it."""
    try:
        return all(_allows(d.stat(), uid, 0o1) for d in path.parents) and _allows(path.stat(), uid, 0o5)
    except OSError:
        return False


def _allows(st: os.stat_result, uid: int, wanted: int) -> bool:
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == uid else 0
    return (st.st_mode >> shift) & wanted == wanted


def _system_dirs() -> list[str]:
    out: list[str] = []
    for d in SYSTEM_DIRS:
        try:
            mode = os.lstat(d).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            out += ["--symlink", os.readlink(d), d]
        elif stat.S_ISDIR(mode):
            out += ["--ro-bind", d, d]
    return out
