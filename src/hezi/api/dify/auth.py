"""Who calls the dataset API: a workspace API key with the `datasets` scope, sent as `Authorization: Bearer …`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hezi.accounts.errors import NotAuthenticated
from hezi.accounts.principal import Caller
from hezi.api.deps import AuthServiceDep, client_ip
from hezi.errors import Forbidden

SCOPE = "datasets"


@dataclass(frozen=True)
class DatasetCaller:
    caller: Caller
    workspace_id: uuid.UUID  # the key's workspace: every dataset id is looked up in it, and only in it


async def dataset_caller(request: Request, auth: AuthServiceDep) -> DatasetCaller:
    """Dify's key check: a missing or malformed header and an unknown, revoked or expired key are all 401."""
    header = request.headers.get("authorization", "")
    if " " not in header.strip():
        raise NotAuthenticated("Authorization header must be provided and start with 'Bearer'.")
    scheme, token = header.strip().split(None, 1)
    if scheme.lower() != "bearer":
        raise NotAuthenticated("Authorization scheme must be 'Bearer'.")
    principal = await auth.authenticate(token.strip())
    if principal.via != "api_key" or principal.key_workspace_id is None:
        # A console session has no one workspace to act in; the dataset API is for programs holding a key.
        raise Forbidden("The dataset API takes a workspace API key with the 'datasets' scope, not a session.")
    if SCOPE not in principal.scopes:
        raise Forbidden("This API key does not have the 'datasets' scope.", code="insufficient_scope")
    return DatasetCaller(Caller(principal=principal, ip=client_ip(request)), principal.key_workspace_id)


DatasetCallerDep = Annotated[DatasetCaller, Depends(dataset_caller)]
