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
