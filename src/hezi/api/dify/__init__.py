"""Dify's knowledge (dataset) API under /v1/datasets, so Dify's dataset clients work against hezi unchanged.

Routes take Dify's wire format, call hezi's knowledge services through `DifyDatasets`, and answer in Dify's shapes,
errors included: `{"code", "message", "status"}` with Dify's codes (the router's route class carries that shape).
Callers hold a workspace API key with the `datasets` scope. Nothing here keeps state of its own.
"""

from hezi.api.dify.routes import router

__all__ = ["router"]
