"""Errors of the conversations domain."""

from __future__ import annotations

from hezi.errors import Conflict, InvalidInput, NotFound, TooLarge


class ConversationNotFound(NotFound):
    code = "conversation_not_found"


class MessageNotFound(NotFound):
    code = "message_not_found"


class AgentNotFound(NotFound):
    code = "agent_not_found"


class AgentNotPublished(Conflict):
    code = "agent_not_published"


class ChatFileNotFound(NotFound):
    code = "file_not_found"


class ChatFileTooLarge(TooLarge):
    code = "file_too_large"


class InvalidInputs(InvalidInput):
    code = "invalid_inputs"


class TaskNotFound(NotFound):
    code = "task_not_found"


class WorkflowRunNotFound(NotFound):
    code = "workflow_run_not_found"


class WorkflowRunNotPaused(Conflict):
    code = "workflow_run_not_paused"


class NotWorkflowApp(InvalidInput):
    """A chat route asked of a workflow app, or a workflow route of a chat app (Dify's not_*_app errors)."""

    code = "not_workflow_app"
