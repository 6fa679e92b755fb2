"""Answers being generated in this process, by task id, so that a stop request can end one.

A stop sets the task's event; the chat loop sees it between events and closes the model's stream, which frees
the worker's slot at once. Held in memory: a stop must reach the process that runs the answer (the stream's own
connection always does; closing it stops the answer too)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field


@dataclass
class ChatTask:
    id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    owner: str | None = None  # an app's end user ("{app}:{user}") when there is no console user
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class ChatTasks:
    def __init__(self) -> None:
        self._running: dict[uuid.UUID, ChatTask] = {}

    def start(self, workspace_id: uuid.UUID, user_id: uuid.UUID | None, *, owner: str | None = None) -> ChatTask:
        task = ChatTask(uuid.uuid4(), workspace_id, user_id, owner)
        self._running[task.id] = task
        return task

    def end(self, task: ChatTask) -> None:
        self._running.pop(task.id, None)

    def stop(
        self, task_id: uuid.UUID, workspace_id: uuid.UUID, user_id: uuid.UUID | None, *, owner: str | None = None
    ) -> bool:
        """Stop the task if it is the caller's and still running; False when there is none such."""
        task = self._running.get(task_id)
        if task is None or task.workspace_id != workspace_id or task.user_id != user_id or task.owner != owner:
            return False
        task.stop.set()
        return True
