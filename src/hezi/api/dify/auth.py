"""Who calls the dataset API: a workspace API key with the `datasets` scope, sent as `Authorization: Bearer …`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hezi.accounts.errors import NotAuthenticated
from hezi.accounts.principal import Caller
from hezi.api.deps import requires

SCOPE = "datasets"


@dataclass(frozen=True)
class DatasetCaller:
    caller: Caller
    workspace_id: uuid.UUID  # the key's workspace: every dataset id is looked up in it, and only in it


async def bearer_header(request: Request) -> None:
    """Dify's answers to a missing or malformed header (401), before any key is looked up."""
    header = request.headers.get("authorization", "")
    if " " not in header.strip():
        raise NotAuthenticated("Authorization header must be provided and start with 'Bearer'.")
    if header.strip().split(None, 1)[0].lower() != "bearer":
        raise NotAuthenticated("Authorization scheme must be 'Bearer'.")


async def dataset_caller(
    _header: Annotated[None, Depends(bearer_header)],
    caller: Annotated[Caller, Depends(requires(SCOPE, sessions=False))],
) -> DatasetCaller:
    """An unknown, revoked or expired key is 401; a session or a key without the scope is 403; past its limits, 429.

    A console session has no one workspace to act in: the dataset API is for programs holding a key.
    """
    workspace_id = caller.principal.key_workspace_id
    assert workspace_id is not None  # every key belongs to a workspace
    return DatasetCaller(caller, workspace_id)


DatasetCallerDep = Annotated[DatasetCaller, Depends(dataset_caller)]
