"""Errors of the serving domain."""

from __future__ import annotations

from typing import Any

from hezi.errors import Conflict, InvalidInput, NotFound, TooLarge, TooManyRequests, Unavailable


class InvalidModelFile(InvalidInput):
    code = "invalid_model_file"


class ModelNotFound(NotFound):
    code = "model_not_found"


class DeploymentNotFound(NotFound):
    code = "deployment_not_found"


class DuplicateModel(Conflict):
    code = "duplicate_model"

    def __init__(self, message: str, *, existing_id: str) -> None:
        super().__init__(message, details={"existing_id": existing_id})


class ModelNameTaken(Conflict):
    code = "model_name_taken"


class ModelTooLarge(TooLarge):
    code = "model_too_large"


class ModelBusy(TooManyRequests):
    code = "model_busy"


class ModelUnavailable(Unavailable):
    """No ready replica (starting, failed or stopped)."""

    code = "model_unavailable"


class WorkerFailed(Unavailable):
    """The worker died or broke the connection while serving the request."""

    code = "worker_failed"


class GenerationRefused(InvalidInput):
    """The engine refused the request before generating (context exceeded, bad schema…)."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)


class ModelDoesNotFit(Conflict):
    """The memory estimate exceeds what is free; `details` has the numbers and what would fit."""

    code = "model_does_not_fit"
