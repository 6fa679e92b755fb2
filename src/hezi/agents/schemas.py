"""API shapes of the agents domain: agents, their published versions and the templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from hezi.agents.spec import AgentConfig, Name
from hezi.agents.workflow_port import GraphProblem

Icon = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Lang = Literal["en", "zh-CN"]


class AgentCreate(BaseModel):
    """A blank agent, or one made from a template (its name, icon, description and config unless given here)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    icon: Icon | None = None
    description: Description | None = None
    config: AgentConfig | None = None
    template: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    # The template's language (its prompt, opening statement and suggested questions).
    lang: Lang = "en"

    @model_validator(mode="after")
    def _named(self) -> AgentCreate:
        if self.name is None and self.template is None:
            raise ValueError("name is required unless a template is given")
        return self


class AgentUpdate(BaseModel):
    """The draft's autosave: each field given replaces the stored one (`config` the whole draft config)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    icon: Icon | None = None
    description: Description | None = None
    config: AgentConfig | None = None


class AgentPublic(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    icon: str
    description: str
    config: AgentConfig  # the draft
    published_version: int | None
    created_at: datetime
    updated_at: datetime
    # A workflow's graph problems by node, in the answer to a save (the draft is saved with them; publish refuses).
    problems: list[GraphProblem] = []


class AgentsPublic(BaseModel):
    data: list[AgentPublic]
    count: int


class AgentPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class AgentVersionPublic(BaseModel):
    version: int
    name: str
    icon: str
    description: str
    config: AgentConfig
    note: str
    created_at: datetime
    created_by: uuid.UUID | None


class AgentVersionsPublic(BaseModel):
    data: list[AgentVersionPublic]
    count: int


class TemplatePublic(BaseModel):
    id: str
    name: str
    icon: str
    description: str
    config: AgentConfig


class TemplatesPublic(BaseModel):
    data: list[TemplatePublic]
    count: int
