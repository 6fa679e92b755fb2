"""What an agent's configuration refers to in its workspace: knowledge bases and tool providers.

`check` refuses a configuration naming a knowledge base or tool the workspace does not have; `names` and `remap`
carry the references through an agent file by name, so an agent exported from one workspace (or box) finds the
knowledge bases and tool providers of the same names where it is imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.agents.errors import InvalidAgentConfig
from hezi.agents.spec import AgentConfig
from hezi.agents.tools.builtin import BUILTIN_TOOLS
from hezi.db.tables import KnowledgeBase, ToolProvider

BUILTIN = "builtin"
KB_FIELD = "config.knowledge.knowledge_base_ids"


async def check(
    db: AsyncSession,
    workspace_id: uuid.UUID,
    config: AgentConfig,
    kb_names: Mapping[str, str] | None = None,
    provider_names: Mapping[str, str] | None = None,
) -> None:
    """Every knowledge base and tool the configuration names exists in the workspace. `kb_names` and
    `provider_names` (id → name, from an agent file) make the error name what is missing."""
    kb_names, provider_names = kb_names or {}, provider_names or {}
    kb_ids = config.knowledge.knowledge_base_ids
    if kb_ids:
        known = set((await _knowledge_bases(db, workspace_id, kb_ids)).keys())
        missing = [str(i) for i in kb_ids if i not in known]
        if missing:
            named = ", ".join(_named(i, kb_names) for i in missing)
            raise InvalidAgentConfig(KB_FIELD, f"this workspace has no knowledge base {named}", missing=missing)
        if len(set(kb_ids)) != len(kb_ids):
            raise InvalidAgentConfig(KB_FIELD, "a knowledge base is listed twice")
    providers = await _providers(db, workspace_id, [t.provider for t in config.tools])
    seen: set[tuple[str, str]] = set()
    for i, tool in enumerate(config.tools):
        if tool.provider == BUILTIN:
            if tool.name not in BUILTIN_TOOLS:
                raise InvalidAgentConfig(
                    f"config.tools[{i}].name",
                    f"there is no built-in tool {tool.name!r} (there are {', '.join(sorted(BUILTIN_TOOLS))})",
                )
        elif (provider := providers.get(tool.provider)) is None:
            raise InvalidAgentConfig(
                f"config.tools[{i}].provider",
                f"this workspace has no tool provider {_named(tool.provider, provider_names)}",
            )
        elif tool.name not in {t.get("name") for t in provider.tools}:
            raise InvalidAgentConfig(
                f"config.tools[{i}].name", f"the tool provider {provider.name!r} has no tool {tool.name!r}"
            )
        if (tool.provider, tool.name) in seen:
            raise InvalidAgentConfig(f"config.tools[{i}]", f"the tool {tool.name!r} is listed twice")
        seen.add((tool.provider, tool.name))


async def names(
    db: AsyncSession, workspace_id: uuid.UUID, config: AgentConfig
) -> tuple[dict[str, str], dict[str, str]]:
    """(knowledge base id → name, tool provider id → name) for what the configuration names."""
    kbs = await _knowledge_bases(db, workspace_id, config.knowledge.knowledge_base_ids)
    providers = await _providers(db, workspace_id, [t.provider for t in config.tools])
    return {str(k): v for k, v in kbs.items()}, {ref: p.name for ref, p in providers.items()}


async def remap(
    db: AsyncSession,
    workspace_id: uuid.UUID,
    config: AgentConfig,
    kb_names: Mapping[str, str],
    provider_names: Mapping[str, str],
) -> AgentConfig:
    """The configuration with ids this workspace lacks replaced by its own knowledge base or tool provider of the
    name the file gives for them. Ids with no match are left alone, for `check` to name."""
    kb_ids = config.knowledge.knowledge_base_ids
    here = await _knowledge_bases(db, workspace_id, kb_ids)
    wanted = {kb_names[str(i)] for i in kb_ids if i not in here and str(i) in kb_names}
    by_name = await _knowledge_bases_named(db, workspace_id, wanted)
    new_kbs = [i if i in here else by_name.get(kb_names.get(str(i), ""), i) for i in kb_ids]

    refs = [t.provider for t in config.tools]
    providers = await _providers(db, workspace_id, refs)
    missing = {provider_names[p] for p in refs if p != BUILTIN and p not in providers and p in provider_names}
    providers_by_name = await _providers_named(db, workspace_id, missing)
    new_tools = [
        t
        if t.provider == BUILTIN or t.provider in providers
        else t.model_copy(update={"provider": providers_by_name.get(provider_names.get(t.provider, ""), t.provider)})
        for t in config.tools
    ]
    knowledge = config.knowledge.model_copy(update={"knowledge_base_ids": new_kbs})
    return config.model_copy(update={"knowledge": knowledge, "tools": new_tools})


async def _knowledge_bases(db: AsyncSession, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await db.execute(
        select(KnowledgeBase.id, KnowledgeBase.name).where(
            KnowledgeBase.workspace_id == workspace_id, KnowledgeBase.id.in_(ids)
        )
    )
    return {kb_id: name for kb_id, name in rows.all()}


async def _knowledge_bases_named(db: AsyncSession, workspace_id: uuid.UUID, wanted: set[str]) -> dict[str, uuid.UUID]:
    if not wanted:
        return {}
    rows = await db.execute(
        select(KnowledgeBase.name, KnowledgeBase.id).where(
            KnowledgeBase.workspace_id == workspace_id, KnowledgeBase.name.in_(wanted)
        )
    )
    return {name: kb_id for name, kb_id in rows.all()}


async def _providers(db: AsyncSession, workspace_id: uuid.UUID, refs: list[str]) -> dict[str, ToolProvider]:
    """ref → tool provider, for the refs that are tool providers of the workspace (a ref not a UUID is none)."""
    ids = {ref: u for ref in refs if ref != BUILTIN and (u := _uuid(ref)) is not None}
    if not ids:
        return {}
    rows = await db.scalars(
        select(ToolProvider).where(ToolProvider.workspace_id == workspace_id, ToolProvider.id.in_(set(ids.values())))
    )
    found = {p.id: p for p in rows.all()}
    return {ref: found[u] for ref, u in ids.items() if u in found}


async def _providers_named(db: AsyncSession, workspace_id: uuid.UUID, wanted: set[str]) -> dict[str, str]:
    if not wanted:
        return {}
    rows = await db.execute(
        select(ToolProvider.name, ToolProvider.id).where(
            ToolProvider.workspace_id == workspace_id, ToolProvider.name.in_(wanted)
        )
    )
    return {name: str(p_id) for name, p_id in rows.all()}


def _named(ref: str, names: Mapping[str, str]) -> str:
    return f"{names[ref]!r} ({ref})" if ref in names else ref


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
