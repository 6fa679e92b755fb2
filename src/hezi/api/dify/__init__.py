"""Dify's knowledge (dataset) API under /v1/datasets and its apps' service API (/v1/chat-messages…), so Dify's
clients work against hezi unchanged.

Routes take Dify's wire format, call hezi's knowledge services through `DifyDatasets`, and answer in Dify's shapes,
errors included: `{"code", "message", "status"}` with Dify's codes (the router's route class carries that shape).
Callers hold a workspace API key with the `datasets` scope. Nothing here keeps state of its own.
"""

from fastapi import APIRouter

from hezi.api.dify import apps, label_routes, routes, workflows

router = APIRouter()
router.include_router(label_routes.router)  # first: /datasets/tags is no dataset id
router.include_router(routes.router)
router.include_router(apps.router)  # the service API of published apps (/v1/chat-messages…)
router.include_router(workflows.router)  # workflow apps (/v1/workflows/run…)

__all__ = ["router"]
