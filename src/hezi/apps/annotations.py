"""Annotations of an app: the owner's ideal answers to questions. With annotation reply on, a question whose
embedding is similar enough (cosine, at least the app's threshold) to an annotation's question gets that answer
without calling the model; the stored answer names the annotation (`messages.annotation_id`).

Questions on both sides are embedded as queries (`role="query"`: E5 reads "query: " before each), with the model
the app's setting names (default: the bundled multilingual-e5-small), through serving's in-process model client and
metered to the app under the endpoint "annotation". `AnnotationReplies` is the conversations layer's
`CannedAnswers` port; `AnnotationService` is the console's."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.apps.log_schemas import (
    AnnotationCreate,
    AnnotationPublic,
    AnnotationSettingPublic,
    AnnotationSettingUpdate,
    AnnotationsPublic,
    AnnotationUpdate,
)
from hezi.apps.logs import _like
from hezi.apps.service import AppService
from hezi.conversations.chat import AppEndUser, CannedAnswer
from hezi.db.base import utcnow
from hezi.db.tables import App, AppAnnotation, AppAnnotationSetting, Conversation, Message, User
from hezi.errors import DomainError, InvalidInput, NotFound
from hezi.serving import bundled
from hezi.serving.client import ModelClient
from hezi.serving.usage import Attribution

log = logging.getLogger(__name__)

ENDPOINT = "annotation"
DEFAULT_THRESHOLD = 0.9
EMBED_BATCH = 32


class AnnotationNotFound(NotFound):
    code = "annotation_not_found"


async def _embed(models: ModelClient, app: App, model: str, texts: list[str]) -> list[list[float]]:
    who = Attribution(app.workspace_id, app_id=app.id)
    out: list[list[float]] = []
    for i in range(0, len(texts), EMBED_BATCH):
        result = await models.embed(model, texts[i : i + EMBED_BATCH], who, endpoint=ENDPOINT, truncate=True,
                                    role="query")  # fmt: skip
        out.extend(result.vectors)
    return out


class AnnotationReplies:
    """The annotation that answers an end user's question, if the app answers from annotations and one is similar
    enough. Any failure (the embedding model stopped, say) is logged and the model answers instead."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], models: ModelClient) -> None:
        self.sessionmaker = sessionmaker
        self.models = models

    async def __call__(self, who: AppEndUser, query: str) -> CannedAnswer | None:
        async with self.sessionmaker() as db:
            setting = await db.get(AppAnnotationSetting, who.app_id)
            if setting is None or not setting.enabled:
                return None
            app = await db.get(App, who.app_id)
            some = await db.scalar(
                select(func.count()).select_from(AppAnnotation)
                .where(AppAnnotation.app_id == who.app_id, AppAnnotation.embedding_model == setting.embedding_model)
            )  # fmt: skip
        if not some or app is None:
            return None
        try:
            [vector] = await _embed(self.models, app, setting.embedding_model, [query])
        except DomainError as exc:
            log.warning("annotation reply skipped for app %s: %s", who.app_id, exc.message)
            return None
        distance = AppAnnotation.embedding.cosine_distance(vector)
        async with self.sessionmaker() as db:
            row = (
                await db.execute(
                    select(AppAnnotation, User.id, User.username, distance.label("distance"))
                    .outerjoin(User, User.id == AppAnnotation.created_by)
                    .where(AppAnnotation.app_id == who.app_id,
                           AppAnnotation.embedding_model == setting.embedding_model,
                           AppAnnotation.embedding.is_not(None))
                    .order_by(distance).limit(1)
                )
            ).first()  # fmt: skip
        if row is None:
            return None
        annotation, user_id, username, dist = row
        score = 1.0 - float(dist)
        if score < setting.score_threshold:
            return None
        author = {"id": str(user_id) if user_id else "", "name": username or "hezi"}
        return CannedAnswer(annotation.answer, annotation.id, round(score, 4), author)


class AnnotationService:
    """The console's: members read an app's annotations, editors write them and switch annotation reply."""

    def __init__(self, db: AsyncSession, models: ModelClient) -> None:
        self.db = db
        self.models = models

    async def list(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, q: str | None, page: int, limit: int
    ) -> AnnotationsPublic:
        """Newest first; `q` in the question or answer."""
        app = await AppService(self.db).find(caller, workspace_id, app_id)
        where = [AppAnnotation.app_id == app.id]
        if q:
            where.append(AppAnnotation.question.ilike(_like(q), escape="\\")
                         | AppAnnotation.answer.ilike(_like(q), escape="\\"))  # fmt: skip
        hits = (
            select(func.count()).select_from(Message).where(Message.annotation_id == AppAnnotation.id)
            .correlate(AppAnnotation).scalar_subquery()
        )  # fmt: skip
        count = await self.db.scalar(select(func.count()).select_from(AppAnnotation).where(*where))
        rows = (
            await self.db.execute(
                select(AppAnnotation, User.username, hits).outerjoin(User, User.id == AppAnnotation.created_by)
                .where(*where).order_by(AppAnnotation.created_at.desc(), AppAnnotation.id)
                .offset((page - 1) * limit).limit(limit)
            )
        ).all()  # fmt: skip
        return AnnotationsPublic(data=[_public(a, name, int(n)) for a, name, n in rows], count=int(count or 0))

    async def create(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, body: AnnotationCreate
    ) -> AnnotationPublic:
        app = await AppService(self.db).find(caller, workspace_id, app_id, write=True)
        question, answer = body.question, body.answer
        if body.message_id is not None:
            logged_q, logged_a = await self._logged(app, body.message_id)
            question, answer = question or logged_q, answer or logged_a
        if not question or not answer:
            raise InvalidInput("An annotation needs a question and an answer.", code="annotation_incomplete")
        setting = await self._setting(app)
        [vector] = await _embed(self.models, app, setting.embedding_model, [question])
        annotation = AppAnnotation(
            app_id=app.id, question=question, answer=answer, embedding=vector,
            embedding_model=setting.embedding_model, created_by=caller.principal.user_id,
        )  # fmt: skip
        self.db.add(annotation)
        audit.record_for(self.db, caller, "app.annotation_created", workspace_id=workspace_id, target=app.slug)
        await self.db.commit()
        return _public(annotation, caller.principal.user.username, 0)

    async def update(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, annotation_id: uuid.UUID,
        body: AnnotationUpdate,
    ) -> AnnotationPublic:  # fmt: skip
        app = await AppService(self.db).find(caller, workspace_id, app_id, write=True)
        annotation = await self._find(app, annotation_id)
        if body.question is not None and body.question != annotation.question:
            setting = await self._setting(app)
            [annotation.embedding] = await _embed(self.models, app, setting.embedding_model, [body.question])
            annotation.question, annotation.embedding_model = body.question, setting.embedding_model
        if body.answer is not None:
            annotation.answer = body.answer
        annotation.updated_at = utcnow()
        await self.db.commit()
        return await self._one(annotation.id)

    async def delete(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, annotation_id: uuid.UUID
    ) -> None:
        """Answers given from it stay in the logs, no longer linked to it."""
        app = await AppService(self.db).find(caller, workspace_id, app_id, write=True)
        await self.db.delete(await self._find(app, annotation_id))
        audit.record_for(self.db, caller, "app.annotation_deleted", workspace_id=workspace_id, target=app.slug)
        await self.db.commit()

    async def setting(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> AnnotationSettingPublic:
        app = await AppService(self.db).find(caller, workspace_id, app_id)
        return _setting_public(await self._setting(app))

    async def update_setting(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, body: AnnotationSettingUpdate
    ) -> AnnotationSettingPublic:
        """A new embedding model re-embeds the app's annotations with it first (refused if it cannot)."""
        app = await AppService(self.db).find(caller, workspace_id, app_id, write=True)
        setting = await self._setting(app)
        if body.embedding_model is not None and body.embedding_model != setting.embedding_model:
            annotations = list(await self.db.scalars(select(AppAnnotation).where(AppAnnotation.app_id == app.id)))
            vectors = await _embed(self.models, app, body.embedding_model, [a.question for a in annotations])
            for annotation, vector in zip(annotations, vectors, strict=True):
                annotation.embedding, annotation.embedding_model = vector, body.embedding_model
            setting.embedding_model = body.embedding_model
        if body.enabled is not None:
            setting.enabled = body.enabled
        if body.score_threshold is not None:
            setting.score_threshold = body.score_threshold
        setting.updated_at = utcnow()
        audit.record_for(self.db, caller, "app.annotation_reply_changed", workspace_id=workspace_id, target=app.slug,
                         details=body.model_dump(exclude_unset=True))  # fmt: skip
        await self.db.commit()
        return _setting_public(setting)

    # -- helpers --------------------------------------------------------------------------------------------------

    async def _setting(self, app: App) -> AppAnnotationSetting:
        setting = await self.db.get(AppAnnotationSetting, app.id)
        if setting is None:
            setting = AppAnnotationSetting(app_id=app.id, enabled=False, score_threshold=DEFAULT_THRESHOLD,
                                           embedding_model=bundled.E5_NAME, updated_at=utcnow())  # fmt: skip
            self.db.add(setting)
        return setting

    async def _find(self, app: App, annotation_id: uuid.UUID) -> AppAnnotation:
        annotation = await self.db.scalar(
            select(AppAnnotation).where(AppAnnotation.id == annotation_id, AppAnnotation.app_id == app.id)
        )
        if annotation is None:
            raise AnnotationNotFound("No such annotation in this app.")
        return annotation

    async def _one(self, annotation_id: uuid.UUID) -> AnnotationPublic:
        hits = select(func.count()).select_from(Message).where(Message.annotation_id == annotation_id).scalar_subquery()
        a, name, n = (
            await self.db.execute(
                select(AppAnnotation, User.username, hits).outerjoin(User, User.id == AppAnnotation.created_by)
                .where(AppAnnotation.id == annotation_id)
            )
        ).one()  # fmt: skip
        return _public(a, name, int(n))

    async def _logged(self, app: App, message_id: uuid.UUID) -> tuple[str, str]:
        """A logged answer of this app, and the question it answered."""
        answer = await self.db.scalar(
            select(Message).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.id == message_id, Conversation.app_id == app.id, Message.role == "assistant")
        )  # fmt: skip
        question = await self.db.get(Message, answer.parent_id) if answer and answer.parent_id else None
        if answer is None or question is None:
            raise NotFound("No such answer in this app's logs.", code="message_not_found")
        return question.content, answer.content


def _public(a: AppAnnotation, created_by: str | None, hits: int) -> AnnotationPublic:
    return AnnotationPublic(id=a.id, question=a.question, answer=a.answer, hits=hits, created_by=created_by,
                            created_at=a.created_at, updated_at=a.updated_at)  # fmt: skip


def _setting_public(s: AppAnnotationSetting) -> AnnotationSettingPublic:
    return AnnotationSettingPublic(enabled=s.enabled, score_threshold=s.score_threshold,
                                   embedding_model=s.embedding_model)  # fmt: skip
