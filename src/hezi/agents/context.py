"""What a step of an agent run may touch, passed to every tool call (pydantic-ai's RunContext, in small).

No tool reaches for a global: the workspace, the caller, the services it may use and the time left all come in here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hezi.serving.usage import Attribution

if TYPE_CHECKING:
    from hezi.egress import EgressPolicy
    from hezi.knowledge.retriever import Retriever
    from hezi.secrets import SecretBox
    from hezi.serving.client import ModelClient
    from hezi.settings import Settings


@dataclass
class RunContext:
    workspace_id: uuid.UUID
    who: Attribution  # whom model calls made during the run are metered to
    models: ModelClient
    retriever: Retriever
    egress: EgressPolicy
    secrets: SecretBox
    settings: Settings
    # time.monotonic() by which the whole run must end; tools bound their own waits by it.
    deadline: float | None = None
    # The agent's knowledge settings, for the knowledge-search tool: bases, mode, top_k, threshold, rerank.
    knowledge_base_ids: list[uuid.UUID] = field(default_factory=list)
    retrieval: dict[str, object] = field(default_factory=dict)
    # Passages already numbered for citation in this run: a tool that finds more numbers them after these, as
    # the loop cites them.
    cited: int = 0

    def time_left(self, default: float) -> float:
        """Seconds a wait may take: `default`, or less when the run's deadline is nearer."""
        if self.deadline is None:
            return default
        return max(0.0, min(default, self.deadline - time.monotonic()))
