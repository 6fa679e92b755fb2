"""The command line's client for a running hezi server: `hezi agents …` and `hezi chat` talk to it over HTTP.

The server is `HEZI_URL` (default http://127.0.0.1:8080) and the caller an API key, `HEZI_API_KEY` (`hezi admin
create-api-key`); the key's workspace is the one acted in. The server validates everything, so a script deploying
agents from another machine gets exactly the console's checks and errors. An error answer is printed as
`error: <message>` and the command exits with status 2 (as the box's own commands do); a server that cannot be
reached the same way, saying where it was looked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import httpx
import typer

# Options every command that talks to the server takes (`hezi agents …`, `hezi chat`).
UrlOption = Annotated[
    str | None, typer.Option("--url", envvar="HEZI_URL", help="the hezi server (default http://127.0.0.1:8080)")
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="HEZI_API_KEY", show_default=False, help="an API key of the workspace"),
]

DEFAULT_URL = "http://127.0.0.1:8080"
ERROR_EXIT = 2
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ApiError(Exception):
    """The server answered with an error; `message` is its message (naming the field where there is one)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def fail(message: str) -> NoReturn:
    """Print `error: <message>` on stderr and exit with ERROR_EXIT."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(ERROR_EXIT)


class Client:
    """A hezi server, reached with an API key. Use as a context manager, or call `close()`."""

    def __init__(self, url: str, api_key: str, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "hezi-cli"},
            timeout=timeout,
        )
        self._workspace_id: str | None = None

    @classmethod
    def from_env(cls, url: str | None = None, api_key: str | None = None) -> Client:
        """A client for `url` / `api_key`, or HEZI_URL / HEZI_API_KEY; exits with a clear error when no key."""
        key = api_key or os.environ.get("HEZI_API_KEY", "")
        if not key.strip():
            fail(
                "no API key: set HEZI_API_KEY (or pass --api-key); "
                "an administrator creates one with `hezi admin create-api-key --user NAME`"
            )
        return cls(url or os.environ.get("HEZI_URL") or DEFAULT_URL, key.strip())

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response, when it is a success; ApiError otherwise."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(0, "unreachable", self._unreachable(exc)) from None
        raise_for_error(response)
        return response

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed response (server-sent events), once its status says success; ApiError otherwise."""
        try:
            with self.http.stream(method, path, **kwargs) as response:
                if response.is_error:
                    response.read()
                    raise_for_error(response)
                yield response
        except httpx.TransportError as exc:
            raise ApiError(0, "unreachable", self._unreachable(exc)) from None

    def _unreachable(self, exc: httpx.TransportError) -> str:
        return f"cannot reach hezi at {self.url} ({exc or type(exc).__name__}); is it running there? (HEZI_URL)"

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def workspace_id(self) -> str:
        """The workspace the key belongs to (a key acts in exactly one)."""
        if self._workspace_id is None:
            workspaces = self.json("GET", "/api/auth/me").get("workspaces") or []
            if not workspaces:
                raise ApiError(403, "no_workspace", "this API key belongs to no workspace")
            self._workspace_id = str(workspaces[0]["id"])
        return self._workspace_id

    def workspace_path(self, path: str) -> str:
        """`/api/workspaces/<the key's workspace><path>`"""
        return f"/api/workspaces/{self.workspace_id()}{path}"


def raise_for_error(response: httpx.Response) -> None:
    if not response.is_error:
        return
    try:
        error = response.json()["error"]
        raise ApiError(response.status_code, str(error["code"]), str(error["message"]), error.get("details"))
    except (ValueError, KeyError, TypeError):
        pass
    raise ApiError(response.status_code, "http_error", f"hezi answered {response.status_code} {response.reason_phrase}")


@contextmanager
def reporting() -> Iterator[None]:
    """Turn an ApiError raised in the block into `error: <message>` and a non-zero exit."""
    try:
        yield
    except ApiError as exc:
        fail(exc.message)
