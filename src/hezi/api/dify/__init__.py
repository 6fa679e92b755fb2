"""Dify's knowledge (dataset) API under /v1/datasets, so Dify's dataset clients work against hezi unchanged.

Routes take Dify's wire format, call hezi's knowledge services through `DifyDatasets`, and answer in Dify's shapes,
errors included: `{"code", "message", "status"}` with Dify's codes (registered here for the /v1/datasets paths).
Callers hold a workspace API key with the `datasets` scope. Nothing here keeps state of its own.
"""

from hezi.api.dify.errors import dify_shape
from hezi.api.dify.routes import router
from hezi.api.errors import register_shape

register_shape(router.prefix, dify_shape)

__all__ = ["router"]
