"""The web console's API, one router per domain, mounted under /api."""

from fastapi import APIRouter

from hezi.api.console import (
    agents,
    api_keys,
    app_logs,
    apps,
    audit,
    auth,
    conversations,
    documents,
    hardware,
    knowledge,
    members,
    models,
    providers,
    tools,
    usage,
    users,
    workflows,
    workspaces,
)
from hezi.api.errors import CONSOLE_ERRORS

router = APIRouter(prefix="/api", responses=CONSOLE_ERRORS)
for module in (
    auth,
    users,
    workspaces,
    members,
    api_keys,
    audit,
    hardware,
    knowledge,
    documents,
    models,
    providers,
    usage,
    agents,
    conversations,
    tools,
    apps,
    app_logs,
    workflows,
):
    router.include_router(module.router)
