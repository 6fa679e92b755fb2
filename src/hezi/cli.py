"""The `hezi` command: serve, worker, admin tasks, database upgrade, OpenAPI export."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from hezi import cli_client, logs
from hezi.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hezi.runtime import Runtime

T = TypeVar("T")

cli = typer.Typer(help="hezi (盒子): AI in a box.", no_args_is_help=True, add_completion=False)
admin = typer.Typer(help="Accounts administration from the box's own terminal.", no_args_is_help=True)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(admin, name="admin")
models_cli = typer.Typer(help="Local models (GGUF).", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(models_cli, name="models")


def _settings(*, quiet: bool = False) -> Settings:
    """Settings from the environment; one-shot commands log only warnings unless HEZI_LOG_LEVEL says otherwise."""
    settings = Settings()
    level = "WARNING" if quiet and "HEZI_LOG_LEVEL" not in os.environ else settings.log_level
    logs.configure(level, json_lines=settings.log_json)
    return settings


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (HEZI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (HEZI_PORT)")] = None,
    worker: Annotated[bool | None, typer.Option("--worker/--no-worker", help="run a job worker in-process")] = None,
) -> None:
    """Start the web console, the APIs and (by default) a job worker."""
    import uvicorn

    from hezi.app import create_app

    settings = _settings()
    overrides = {k: v for k, v in {"host": host, "port": port, "run_worker": worker}.items() if v is not None}
    settings = settings.model_copy(update=overrides)
    typer.echo(f"hezi: starting on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        server_header=False,
    )


@cli.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="jobs run at once")] = 2,
) -> None:
    """Run a job worker alone (scale out by starting more, on this box or others sharing the database)."""
    from hezi.runtime import open_runtime
    from hezi.services import open_services

    settings = _settings()

    async def main() -> None:
        async with (
            open_runtime(settings) as runtime,
            open_services(settings, runtime.sessionmaker, runtime.jobs, serves_models=False) as services,
        ):
            # Jobs that need the model workers (queue "models") stay with `hezi serve`.
            await runtime.jobs.run_worker_async(
                concurrency=concurrency,
                additional_context={"services": services},
                name="hezi-worker",
                queues=["default", "maintenance"],
            )

    asyncio.run(main())


def _run(fn: Callable[[Runtime, AsyncSession], Awaitable[T]]) -> T:
    """Open the runtime, run `fn(runtime)` with a DB session, turn domain errors into a clean exit."""
    from hezi.errors import DomainError
    from hezi.runtime import open_runtime

    settings = _settings(quiet=True)

    async def main() -> T:
        async with open_runtime(settings) as runtime, runtime.sessionmaker() as db:
            return await fn(runtime, db)

    try:
        return asyncio.run(main())
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _ask_password(password: str | None) -> str:
    return password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@admin.command("create-user")
def create_user(
    username: str,
    password: Annotated[str | None, typer.Option(help="prompted for when omitted")] = None,
    display_name: Annotated[str, typer.Option()] = "",
    superuser: Annotated[bool, typer.Option("--superuser", help="platform administrator")] = False,
    workspace: Annotated[str | None, typer.Option(help="workspace name or id (default: the default one)")] = None,
) -> None:
    """Create a user (a member of the default workspace unless --workspace says otherwise)."""
    from pydantic import ValidationError

    from hezi.accounts.auth import AuthService
    from hezi.accounts.schemas import UserCreate
    from hezi.accounts.users import UserService

    secret = _ask_password(password)
    try:
        body = UserCreate(username=username, password=secret, display_name=display_name, is_superuser=superuser)
    except ValidationError as exc:
        typer.echo(f"error: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None

    async def run(runtime: Runtime, db: AsyncSession) -> Any:
        service = UserService(db, AuthService.from_settings(db, runtime.settings))
        return await service.create_unchecked(body, workspace=workspace)

    user = _run(run)
    typer.echo(f"created user {user.username}")


@admin.command("reset-password")
def reset_password(
    username: str, password: Annotated[str | None, typer.Option(help="prompted for when omitted")] = None
) -> None:
    """Set a new password for a user and sign out all their sessions."""
    from hezi.accounts.auth import AuthService
    from hezi.accounts.users import UserService

    secret = _ask_password(password)

    async def run(runtime: Runtime, db: AsyncSession) -> Any:
        await UserService(db, AuthService.from_settings(db, runtime.settings)).reset_password_unchecked(
            username, secret
        )

    _run(run)
    typer.echo(f"password of {username} reset")


@admin.command("create-api-key")
def create_api_key(
    user: Annotated[str, typer.Option("--user", help="the user the key acts for")],
    workspace: Annotated[str | None, typer.Option(help="workspace name or id (default: the default one)")] = None,
    name: Annotated[str, typer.Option(help="a label for the key")] = "cli",
    scope: Annotated[list[str] | None, typer.Option(help="repeatable; default: api")] = None,
    rpm: Annotated[int | None, typer.Option("--rpm", min=1, help="requests per minute (default: unlimited)")] = None,
    tokens_per_day: Annotated[
        int | None, typer.Option("--tokens-per-day", min=1, help="tokens per UTC day (default: unlimited)")
    ] = None,
) -> None:
    """Create an API key and print it once, alone on stdout, for scripts."""
    from hezi.accounts.api_keys import ApiKeyService
    from hezi.accounts.auth import AuthService
    from hezi.accounts.errors import PermissionDenied
    from hezi.accounts.schemas import ApiKeyCreate
    from hezi.accounts.users import UserService
    from hezi.accounts.workspaces import WorkspaceService
    from hezi.db.tables import Membership

    async def run(runtime: Runtime, db: AsyncSession) -> Any:
        users = UserService(db, AuthService.from_settings(db, runtime.settings))
        owner = await users.by_username(user)
        ws = await users.find_workspace(workspace)
        if await db.get(Membership, (ws.id, owner.id)) is None:
            raise PermissionDenied(f"{owner.username} is not a member of workspace {ws.name!r}.")
        body = ApiKeyCreate(name=name, scopes=scope or ["api"], rate_limit_rpm=rpm, token_limit_per_day=tokens_per_day)
        return await ApiKeyService(db, WorkspaceService(db)).create_unchecked(ws.id, owner, body, actor="cli")

    created = _run(run)
    typer.echo(created.key)


@models_cli.command("import")
def models_import(
    path: Annotated[str, typer.Argument(help="absolute path of a .gguf file on this machine")],
    name: Annotated[str | None, typer.Option(help="the name API clients will use (default: from the file)")] = None,
) -> None:
    """Register a GGUF file that is on this machine (it is not copied). Deploy it from the console."""
    from pathlib import Path

    from hezi.serving.registry import ModelRegistry
    from hezi.serving.supervisor import Supervisor

    async def run(runtime: Runtime, db: AsyncSession) -> Any:
        idle = Supervisor(runtime.settings.run_dir, runtime.settings.resolved_data_dir / "logs")
        return await ModelRegistry(db, runtime.settings, idle).import_path(None, str(Path(path).resolve()), name)

    model = _run(run)
    params = (
        f"{model.parameter_count / 1e9:.2f}B" if model.parameter_count >= 1e9 else f"{model.parameter_count / 1e6:.0f}M"
    )
    typer.echo(
        f"imported {model.name}: {model.kind}, {model.architecture}, {params} parameters, {model.quantization}, "
        f"context {model.context_length}"
    )


@models_cli.command("list")
def models_list() -> None:
    """The models this box knows, with their deployment settings."""
    from hezi.serving.registry import ModelRegistry
    from hezi.serving.supervisor import Supervisor

    async def run(runtime: Runtime, db: AsyncSession) -> Any:
        idle = Supervisor(runtime.settings.run_dir, runtime.settings.resolved_data_dir / "logs")
        return await ModelRegistry(db, runtime.settings, idle).list_models()

    for m in _run(run).data:
        dep = m.deployment
        how = f"{dep.desired}, ctx {dep.context_size} × {dep.parallel}" if dep else "not deployed"
        typer.echo(f"{m.name:40} {m.kind:9} {m.quantization:8} {m.size_bytes / 2**20:8.0f} MiB  {how}")


# --- agents: over HTTP to a running server, with an API key (docs/decisions/0016-agents-cli.md) ---

agents_cli = typer.Typer(
    help="Agents of the API key's workspace, on a running hezi (HEZI_URL, HEZI_API_KEY).", no_args_is_help=True
)
cli.add_typer(agents_cli, name="agents")


def _agent_id(client: Any, name: str) -> str:
    """The id of the agent called `name` (or whose id is `name`) in the key's workspace."""
    from hezi.cli_client import ApiError

    agents = client.json("GET", client.workspace_path("/agents"))["data"]
    found = next((a for a in agents if a["name"] == name), None) or next((a for a in agents if a["id"] == name), None)
    if found is None:
        raise ApiError(404, "agent_not_found", f"no agent named {name!r} in this workspace")
    return str(found["id"])


def _lang(lang: str | None) -> str:
    """--lang, else the terminal's language (LANG): zh-CN for Chinese, en otherwise."""
    chosen = lang or os.environ.get("LC_ALL") or os.environ.get("LANG") or "en"
    return "zh-CN" if chosen.lower().replace("_", "-").startswith("zh") else "en"


@agents_cli.command("list")
def agents_list(
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
) -> None:
    """The workspace's agents, newest first: name, published version, model."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        agents = client.json("GET", client.workspace_path("/agents"))
    if as_json:
        typer.echo(json.dumps(agents, ensure_ascii=False, indent=1))
        return
    rows = [(a["name"], f"v{a['published_version']}" if a["published_version"] else "draft", a["config"]["model"])
            for a in agents["data"]]  # fmt: skip
    width = max((len(r[0]) for r in rows), default=4)
    for name, version, model in rows:
        typer.echo(f"{name:{width}}  {version:7}  {model}")


@agents_cli.command("templates")
def agents_templates(
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
    lang: Annotated[str | None, typer.Option(help="en or zh-CN (default: from LANG)")] = None,
) -> None:
    """The templates `hezi agents create --template` takes: id, name, description."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        templates = client.json("GET", client.workspace_path("/agent-templates"), params={"lang": _lang(lang)})
    width = max((len(t["id"]) for t in templates["data"]), default=2)
    for t in templates["data"]:
        typer.echo(f"{t['id']:{width}}  {t['icon']} {t['name']}: {t['description']}")


@agents_cli.command("create")
def agents_create(
    name: Annotated[str | None, typer.Option(help="the agent's name (default: the template's)")] = None,
    template: Annotated[str | None, typer.Option(help="a template id (hezi agents templates)")] = None,
    lang: Annotated[str | None, typer.Option(help="the template's language, en or zh-CN (default: from LANG)")] = None,
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """Create an agent, blank or from a template; prints its id."""
    if name is None and template is None:
        cli_client.fail("give --name, --template or both")
    body: dict[str, Any] = {"name": name, "template": template, "lang": _lang(lang)}
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        agent = client.json("POST", client.workspace_path("/agents"), json={k: v for k, v in body.items() if v})
    typer.echo(f"created agent {agent['name']!r}: {agent['id']}")


@agents_cli.command("export")
def agents_export(
    name: Annotated[str, typer.Argument(help="the agent's name (or id)")],
    dify: Annotated[bool, typer.Option("--dify", help="a workflow agent as a Dify DSL file")] = False,
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """Print the agent's draft as an agent file (YAML): `hezi agents export NAME > NAME.yaml`; a workflow agent with
    --dify as a Dify DSL file that Dify imports."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        path = client.workspace_path(f"/agents/{_agent_id(client, name)}/export")
        text = client.request("GET", path, params={"format": "dify" if dify else "hezi"}).text
    sys.stdout.write(text)


@agents_cli.command("import")
def agents_import(
    file: Annotated[str, typer.Argument(help="an agent file (YAML), or - for stdin")],
    replace: Annotated[bool, typer.Option("--replace", help="overwrite the draft of the agent of that name")] = False,
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """Create an agent from an agent file; an existing name is refused unless --replace."""
    from pathlib import Path

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        cli_client.fail(f"cannot read {file}: {exc.strerror or exc}")
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        agent = client.json(
            "POST", client.workspace_path("/agents/import"), params={"replace": str(replace).lower()},
            content=data, headers={"Content-Type": "text/yaml"},
        )  # fmt: skip
    typer.echo(f"imported agent {agent['name']!r}: {agent['id']}")


@agents_cli.command("publish")
def agents_publish(
    name: Annotated[str, typer.Argument(help="the agent's name (or id)")],
    note: Annotated[str, typer.Option(help="what changed")] = "",
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """Publish the agent's draft as its next version."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        path = client.workspace_path(f"/agents/{_agent_id(client, name)}/publish")
        version = client.json("POST", path, json={"note": note})
    typer.echo(f"published {version['name']!r} as version {version['version']}")


# --- apps: over HTTP too, like agents ---

apps_cli = typer.Typer(
    help="Apps of the API key's workspace, on a running hezi (HEZI_URL, HEZI_API_KEY).", no_args_is_help=True
)
cli.add_typer(apps_cli, name="apps")


def _app(client: Any, name: str) -> dict[str, Any]:
    """The app whose slug, name or id is `name`, in the key's workspace."""
    from hezi.cli_client import ApiError

    apps = client.json("GET", client.workspace_path("/apps"))["data"]
    for field in ("slug", "id", "name"):
        found = [a for a in apps if a[field] == name]
        if len(found) == 1:
            return dict(found[0])
    raise ApiError(404, "app_not_found", f"no app {name!r} in this workspace")


@apps_cli.command("publish")
def apps_publish(
    agent: Annotated[str, typer.Argument(help="the agent's name (or id)")],
    slug: Annotated[str | None, typer.Option(help="the app's slug: its URL part and model name app-SLUG")] = None,
    note: Annotated[str, typer.Option(help="what changed in this version")] = "",
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """Publish the agent's draft and serve it as an app: the agent's app (or the one with --slug) switches to the
    new version, or a new app is made. Prints the app's id, slug, web-app URL and a new app API key."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        agent_id = _agent_id(client, agent)
        version = client.json("POST", client.workspace_path(f"/agents/{agent_id}/publish"), json={"note": note})
        apps = [a for a in client.json("GET", client.workspace_path("/apps"))["data"] if a["agent_id"] == agent_id]
        target = next((a for a in apps if a["slug"] == slug), None) if slug else (apps[0] if len(apps) == 1 else None)
        if target is None:
            body = {"agent_id": agent_id, "agent_version": version["version"], **({"slug": slug} if slug else {})}
            app = client.json("POST", client.workspace_path("/apps"), json=body)
        else:
            path = client.workspace_path(f"/apps/{target['id']}/release")
            app = client.json("POST", path, json={"agent_version": version["version"]})
        key = client.json("POST", client.workspace_path(f"/apps/{app['id']}/keys"), json={"name": "hezi apps publish"})
    typer.echo(f"app:     {app['name']} ({app['id']})")
    typer.echo(f"slug:    {app['slug']}  (model {app['model']})")
    typer.echo(f"version: {app['agent_version']}")
    typer.echo(f"web app: {client.url.rstrip('/')}{app['web_app_path']}")
    typer.echo(f"api key: {key['key']}  (shown once)")


@apps_cli.command("list")
def apps_list(
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
) -> None:
    """The workspace's apps, newest first: slug, agent and version served, open channels."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        apps = client.json("GET", client.workspace_path("/apps"))
    if as_json:
        typer.echo(json.dumps(apps, ensure_ascii=False, indent=1))
        return
    rows = [(a["slug"], f"{a['agent_name']} v{a['agent_version']}", ",".join(k for k, v in a["channels"].items() if v),
             "" if a["enabled"] else "disabled") for a in apps["data"]]  # fmt: skip
    widths = [max((len(r[i]) for r in rows), default=4) for i in range(2)]
    for slug_, agent_, channels, state in rows:
        typer.echo(f"{slug_:{widths[0]}}  {agent_:{widths[1]}}  {channels}  {state}".rstrip())


@apps_cli.command("keys")
def apps_keys(
    app: Annotated[str, typer.Argument(help="the app's slug (or name, or id)")],
    create: Annotated[str | None, typer.Option("--create", help="make a new key with this name")] = None,
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """The app's API keys (prefix, name, state); with --create NAME, a new one, printed once."""
    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        found = _app(client, app)
        path = client.workspace_path(f"/apps/{found['id']}/keys")
        if create:
            key = client.json("POST", path, json={"name": create})
            typer.echo(f"{key['key']}  (shown once)")
            return
        keys = client.json("GET", path)["data"]
    for k in keys:
        state = "revoked" if k["revoked_at"] else "active"
        typer.echo(f"{k['prefix']}…  {k['name']}  {state}  {k['created_at'][:19]}")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (hezi serve also does this at start)."""
    from hezi.runtime import open_runtime

    settings = _settings(quiet=True)

    async def main() -> None:
        async with open_runtime(settings):
            pass

    asyncio.run(main())
    typer.echo("database is at the latest migration")


@cli.command()
def openapi() -> None:
    """Print the OpenAPI schema (the web console's typed client is generated from it)."""
    from hezi.app import create_app

    json.dump(create_app(Settings()).openapi(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


@cli.command()
def chat(
    agent: Annotated[str, typer.Argument(help="the agent's name (or id)")],
    message: Annotated[str | None, typer.Option("-m", "--message", help="ask one question, print the answer")] = None,
    preview: Annotated[bool, typer.Option(help="talk to the draft, not the latest published version")] = False,
    url: cli_client.UrlOption = None,
    api_key: cli_client.ApiKeyOption = None,
) -> None:
    """Chat with an agent on a running hezi (HEZI_URL, HEZI_API_KEY): one answer with -m, else line by line."""
    from hezi import cli_chat

    with cli_client.reporting(), cli_client.Client.from_env(url, api_key) as client:
        agent_id = _agent_id(client, agent)
        if message is not None:
            cli_chat.one_answer(client, agent_id, message, preview)
        else:
            cli_chat.interactive(client, agent_id, agent, preview)


def main() -> None:
    cli()
