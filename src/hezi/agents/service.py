"""Agents of a workspace: the draft the builder autosaves, published versions, templates, and agent files.

Members of a workspace read its agents (and chat with them); editors and above create, change, publish and delete
them, as with knowledge bases. Outsiders get 404.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.workspaces import WorkspaceService
from hezi.agents import files, references, templates
from hezi.agents.errors import (
    AgentExists,
    AgentNotFound,
    AgentVersionNotFound,
    InvalidAgentConfig,
    InvalidAgentFile,
    NotAWorkflow,
    UnknownTemplate,
)
from hezi.agents.schemas import (
    AgentCreate,
    AgentPublic,
    AgentPublish,
    AgentsPublic,
    AgentUpdate,
    AgentVersionPublic,
    AgentVersionsPublic,
    TemplatePublic,
    TemplatesPublic,
)
from hezi.agents.spec import AgentConfig
from hezi.agents.workflow_port import GraphProblem, WorkflowSupport, refuse_problems
from hezi.db.tables import Agent, AgentVersion

EDIT_AGENTS = Role.EDITOR


@dataclass(frozen=True)
class AgentSnapshot:
    """What a run of the agent uses: the draft (`version` None) or a published version."""

    agent_id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    icon: str
    description: str
    config: AgentConfig
    version: int | None


@dataclass(frozen=True)
class AgentExport:
    filename: str
    text: str
    media_type: str = files.MEDIA_TYPE


class AgentService:
    def __init__(self, db: AsyncSession, workflows: WorkflowSupport | None = None) -> None:
        self.db = db
        # Checks workflow graphs and reads Dify DSL files (decision 0023); without it graphs are stored unchecked.
        self.workflows = workflows

    # --- the draft ---

    async def list_agents(self, caller: Caller, workspace_id: uuid.UUID) -> AgentsPublic:
        """Newest first."""
        await self._access(caller, workspace_id, write=False)
        rows = (
            await self.db.scalars(
                select(Agent)
                .where(Agent.workspace_id == workspace_id)
                .order_by(Agent.created_at.desc(), Agent.id.desc())
            )
        ).all()
        data = [_public(a) for a in rows]
        return AgentsPublic(data=data, count=len(data))

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: AgentCreate) -> AgentPublic:
        await self._access(caller, workspace_id, write=True)
        name, icon, description, config = body.name, body.icon, body.description, body.config
        if body.template is not None:
            template = self._template(body.template, body.lang)
            name = name or template.name
            icon = icon or template.icon
            description = template.description if description is None else description
            config = template.config if config is None else config
        assert name is not None  # AgentCreate requires a name or a template
        config = AgentConfig() if config is None else config
        await references.check(self.db, workspace_id, config)
        config, problems = self._check(config)
        agent = Agent(
            workspace_id=workspace_id, name=name, icon=icon or "🤖", description=description or "",
            config=config.model_dump(mode="json"), created_by=caller.principal.user_id,
        )  # fmt: skip
        self.db.add(agent)
        await self._flush(name)
        details = {"template": body.template} if body.template else None
        audit.record_for(self.db, caller, "agent.created", workspace_id=workspace_id, target=name, details=details)
        await self.db.commit()
        return _public(agent, problems)

    async def get(self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> AgentPublic:
        return _public(await self.find(caller, workspace_id, agent_id))

    async def update(
        self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, body: AgentUpdate
    ) -> AgentPublic:
        """The builder's autosave: each field given replaces the stored one. A workflow's draft is saved even with
        problems in its graph, which the answer lists by node."""
        agent = await self.find(caller, workspace_id, agent_id, write=True)
        problems: list[GraphProblem] = []
        if body.config is not None:
            await references.check(self.db, workspace_id, body.config)
            config, problems = self._check(body.config)
            agent.config = config.model_dump(mode="json")
        if body.name is not None:
            agent.name = body.name
        if body.icon is not None:
            agent.icon = body.icon
        if body.description is not None:
            agent.description = body.description
        await self._flush(body.name or agent.name)
        await self.db.commit()
        return _public(agent, problems)

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> None:
        """The agent, its versions and its conversations."""
        agent = await self.find(caller, workspace_id, agent_id, write=True)
        audit.record_for(self.db, caller, "agent.deleted", workspace_id=workspace_id, target=agent.name)
        await self.db.delete(agent)
        await self.db.commit()

    # --- versions ---

    async def publish(
        self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, body: AgentPublish
    ) -> AgentVersionPublic:
        """Snapshot the draft as the next version. Publishes of one agent queue on its row, so each gets its own
        number."""
        await self.find(caller, workspace_id, agent_id, write=True)
        agent = await self.db.scalar(
            select(Agent).where(Agent.id == agent_id).with_for_update().execution_options(populate_existing=True)
        )
        if agent is None:  # deleted meanwhile
            raise AgentNotFound("No such agent in this workspace.")
        config = AgentConfig.model_validate(agent.config)
        await references.check(self.db, workspace_id, config)  # a knowledge base may have gone since the last save
        refuse_problems(self._check(config)[1])  # a workflow with problems is not published
        last = await self.db.scalar(select(func.max(AgentVersion.version)).where(AgentVersion.agent_id == agent.id))
        version = AgentVersion(
            agent_id=agent.id, version=(last or 0) + 1, name=agent.name, icon=agent.icon,
            description=agent.description, config=agent.config, note=body.note,
            created_by=caller.principal.user_id,
        )  # fmt: skip
        self.db.add(version)
        agent.published_version = version.version
        audit.record_for(
            self.db, caller, "agent.published", workspace_id=workspace_id, target=agent.name,
            details={"version": version.version},
        )  # fmt: skip
        await self.db.commit()
        return _version_public(version)

    async def versions(self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> AgentVersionsPublic:
        """Newest first."""
        agent = await self.find(caller, workspace_id, agent_id)
        rows = (
            await self.db.scalars(
                select(AgentVersion).where(AgentVersion.agent_id == agent.id).order_by(AgentVersion.version.desc())
            )
        ).all()
        data = [_version_public(v) for v in rows]
        return AgentVersionsPublic(data=data, count=len(data))

    # --- for the chat ---

    async def find(self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, *, write: bool = False) -> Agent:
        """The agent if the caller may see it (and change it, with `write`)."""
        await self._access(caller, workspace_id, write=write)
        agent = await self.db.scalar(select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id))
        if agent is None:
            raise AgentNotFound("No such agent in this workspace.")
        return agent

    async def config_for(self, agent: Agent, version: int | None = None, *, draft: bool = False) -> AgentSnapshot:
        """What a run uses: the draft with `draft` (the builder's preview), else version `version`, else the latest
        published version — or the draft while none is published (then `version` is None)."""
        if not draft:
            query = select(AgentVersion).where(AgentVersion.agent_id == agent.id)
            if version is not None:
                query = query.where(AgentVersion.version == version)
            row = await self.db.scalar(query.order_by(AgentVersion.version.desc()).limit(1))
            if row is not None:
                return AgentSnapshot(
                    agent.id, agent.workspace_id, row.name, row.icon, row.description,
                    AgentConfig.model_validate(row.config), row.version,
                )  # fmt: skip
            if version is not None:
                raise AgentVersionNotFound(f"The agent {agent.name!r} has no version {version}.")
        return AgentSnapshot(
            agent.id, agent.workspace_id, agent.name, agent.icon, agent.description,
            AgentConfig.model_validate(agent.config), None,
        )  # fmt: skip

    # --- templates and files ---

    async def templates(self, caller: Caller, workspace_id: uuid.UUID, lang: str | None) -> TemplatesPublic:
        await self._access(caller, workspace_id, write=False)
        data = self._templates(lang)
        return TemplatesPublic(data=data, count=len(data))

    def _templates(self, lang: str | None) -> list[TemplatePublic]:
        """The agent templates, then the workflow templates (when this service can read graphs)."""
        lang = templates.normalize_lang(lang)
        data = [
            TemplatePublic(
                id=t.id, name=t.name(lang), icon=t.icon, description=t.description(lang), config=t.agent_config(lang)
            )
            for t in templates.templates()
        ]
        return data + (self.workflows.templates(lang) if self.workflows is not None else [])

    def _template(self, template_id: str, lang: str | None) -> TemplatePublic:
        found = next((t for t in self._templates(lang) if t.id == template_id), None)
        if found is None:
            raise UnknownTemplate(template_id)
        return found

    async def export(
        self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, dify: bool = False
    ) -> AgentExport:
        """The draft as an agent file, with the names of the knowledge bases and tool providers it uses; with `dify`
        a workflow agent's draft as a Dify DSL file instead (422 `dify_export_refused` naming by node what Dify's
        format cannot hold)."""
        agent = await self.find(caller, workspace_id, agent_id)
        config = AgentConfig.model_validate(agent.config)
        if dify:
            if config.mode == "agent" or self.workflows is None:
                raise NotAWorkflow("Only workflow and chatflow agents export as Dify DSL files.")
            text = self.workflows.export_dify(config, name=agent.name, icon=agent.icon, description=agent.description)
            return AgentExport(filename=_filename(agent.name).removesuffix(".yaml") + ".yml", text=text)
        kbs, providers = await references.names(self.db, workspace_id, config)
        doc = files.AgentFile(
            name=agent.name, icon=agent.icon, description=agent.description, config=config,
            knowledge_bases=[files.KnowledgeBaseRef(id=uuid.UUID(k), name=n) for k, n in kbs.items()],
            tool_providers=[files.ToolProviderRef(id=p, name=n) for p, n in providers.items()],
        )  # fmt: skip
        return AgentExport(filename=_filename(agent.name), text=files.dump(doc))

    async def import_file(
        self, caller: Caller, workspace_id: uuid.UUID, text: bytes, *, replace: bool = False
    ) -> AgentPublic:
        """Create an agent from an agent file, or with `replace` overwrite the draft of the agent of that name.

        Knowledge bases and tool providers the file names by an id this workspace lacks are found by their name
        here; one found neither way refuses the file (an agent that silently lost its knowledge would answer
        wrongly)."""
        await self._access(caller, workspace_id, write=True)
        converted = await self.workflows.convert(self.db, workspace_id, text) if self.workflows is not None else None
        doc = converted if converted is not None else files.load(text)
        kb_names, provider_names = doc.knowledge_base_names(), doc.tool_provider_names()
        config = await references.remap(self.db, workspace_id, doc.config, kb_names, provider_names)
        try:
            await references.check(self.db, workspace_id, config, kb_names, provider_names)
        except InvalidAgentConfig as exc:
            raise InvalidAgentFile(exc.field, exc.reason, **exc.extra) from None
        agent = await self.db.scalar(select(Agent).where(Agent.workspace_id == workspace_id, Agent.name == doc.name))
        if agent is not None and not replace:
            raise AgentExists(f"This workspace already has an agent named {doc.name!r} (replace it to overwrite).")
        replaced = agent is not None
        if agent is None:
            agent = Agent(workspace_id=workspace_id, name=doc.name, created_by=caller.principal.user_id)
            self.db.add(agent)
        config, problems = self._check(config)
        agent.icon, agent.description, agent.config = doc.icon, doc.description, config.model_dump(mode="json")
        await self._flush(doc.name)
        audit.record_for(
            self.db, caller, "agent.imported", workspace_id=workspace_id, target=doc.name,
            details={"replaced": replaced},
        )  # fmt: skip
        await self.db.commit()
        return _public(agent, problems)

    # --- helpers ---

    def _check(self, config: AgentConfig) -> tuple[AgentConfig, list[GraphProblem]]:
        return self.workflows.check(config) if self.workflows is not None else (config, [])

    async def _access(self, caller: Caller, workspace_id: uuid.UUID, *, write: bool) -> None:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        if write:
            acc.require(EDIT_AGENTS, "change agents")

    async def _flush(self, name: str) -> None:
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise AgentExists(f"This workspace already has an agent named {name!r}.") from None


def _public(agent: Agent, problems: list[GraphProblem] | None = None) -> AgentPublic:
    return AgentPublic(
        id=agent.id, workspace_id=agent.workspace_id, name=agent.name, icon=agent.icon,
        description=agent.description, config=AgentConfig.model_validate(agent.config),
        published_version=agent.published_version, created_at=agent.created_at, updated_at=agent.updated_at,
        problems=problems or [],
    )  # fmt: skip


def _version_public(v: AgentVersion) -> AgentVersionPublic:
    return AgentVersionPublic(
        version=v.version, name=v.name, icon=v.icon, description=v.description,
        config=AgentConfig.model_validate(v.config), note=v.note, created_at=v.created_at, created_by=v.created_by,
    )  # fmt: skip


def _filename(name: str) -> str:
    """A file name for the agent: its name with anything a file system might mind replaced."""
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "agent"
    return f"{stem}.yaml"
