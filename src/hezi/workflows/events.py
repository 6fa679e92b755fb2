"""What a run streams, in Dify's shapes: each WorkflowEvent is the `event` name and the `data` object of one of
Dify's workflow stream responses (`workflow_started`, `node_started`, `node_finished`, `text_chunk`,
`iteration_*`, `loop_*`, `workflow_finished`, `error`), plus hezi's `human_input_required` and
`workflow_paused`. The Dify encoder adds `task_id` and `workflow_run_id` around them; nothing else reshapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

EventName = Literal[
    "workflow_started", "node_started", "node_finished", "text_chunk",
    "iteration_started", "iteration_next", "iteration_completed",
    "loop_started", "loop_next", "loop_completed",
    "human_input_required", "workflow_paused", "workflow_finished", "error",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    event: EventName
    data: dict[str, Any]


# Dify's node execution statuses in node_finished; and its run statuses in workflow_finished.
NodeStatus = Literal["succeeded", "failed", "exception", "stopped", "paused"]
RunStatus = Literal["succeeded", "failed", "stopped", "paused", "partial-succeeded"]


def workflow_started(run_id: str, workflow_id: str | None, inputs: dict[str, Any], created_at: int) -> WorkflowEvent:
    return WorkflowEvent(
        "workflow_started",
        {"id": run_id, "workflow_id": workflow_id, "inputs": inputs, "created_at": created_at},
    )


def node_started(
    execution_id: str,
    node_id: str,
    node_type: str,
    title: str,
    index: int,
    predecessor_node_id: str | None,
    inputs: dict[str, Any] | None,
    created_at: int,
    *,
    iteration_id: str | None = None,
    loop_id: str | None = None,
    extras: dict[str, Any] | None = None,
) -> WorkflowEvent:
    return WorkflowEvent(
        "node_started",
        {
            "id": execution_id,
            "node_id": node_id,
            "node_type": node_type,
            "title": title,
            "index": index,
            "predecessor_node_id": predecessor_node_id,
            "inputs": inputs,
            "created_at": created_at,
            "extras": extras or {},
            "iteration_id": iteration_id,
            "loop_id": loop_id,
        },
    )


def node_finished(
    execution_id: str,
    node_id: str,
    node_type: str,
    title: str,
    index: int,
    predecessor_node_id: str | None,
    *,
    status: NodeStatus,
    inputs: dict[str, Any] | None,
    outputs: dict[str, Any] | None,
    process_data: dict[str, Any] | None = None,
    error: str | None,
    elapsed_time: float,
    total_tokens: int,
    created_at: int,
    finished_at: int,
    iteration_id: str | None = None,
    loop_id: str | None = None,
    iteration_index: int | None = None,
) -> WorkflowEvent:
    metadata: dict[str, Any] = {"total_tokens": total_tokens}
    if iteration_id is not None:
        metadata["iteration_id"], metadata["iteration_index"] = iteration_id, iteration_index
    if loop_id is not None:
        metadata["loop_id"], metadata["loop_index"] = loop_id, iteration_index
    return WorkflowEvent(
        "node_finished",
        {
            "id": execution_id,
            "node_id": node_id,
            "node_type": node_type,
            "title": title,
            "index": index,
            "predecessor_node_id": predecessor_node_id,
            "inputs": inputs,
            "process_data": process_data,
            "outputs": outputs,
            "status": status,
            "error": error,
            "elapsed_time": elapsed_time,
            "execution_metadata": metadata,
            "created_at": created_at,
            "finished_at": finished_at,
            "files": [],
            "iteration_id": iteration_id,
            "loop_id": loop_id,
        },
    )


def text_chunk(text: str, from_variable_selector: list[str] | None) -> WorkflowEvent:
    return WorkflowEvent("text_chunk", {"text": text, "from_variable_selector": from_variable_selector})


def container_started(
    kind: Literal["iteration", "loop"],
    execution_id: str,
    node_id: str,
    title: str,
    inputs: dict[str, Any],
    created_at: int,
    metadata: dict[str, Any],
) -> WorkflowEvent:
    return WorkflowEvent(
        "iteration_started" if kind == "iteration" else "loop_started",
        {
            "id": execution_id,
            "node_id": node_id,
            "node_type": kind,
            "title": title,
            "created_at": created_at,
            "extras": {},
            "metadata": metadata,
            "inputs": inputs,
        },
    )


def container_next(
    kind: Literal["iteration", "loop"],
    execution_id: str,
    node_id: str,
    title: str,
    index: int,
    created_at: int,
    pre_output: Any,
) -> WorkflowEvent:
    pre = "pre_iteration_output" if kind == "iteration" else "pre_loop_output"
    return WorkflowEvent(
        "iteration_next" if kind == "iteration" else "loop_next",
        {
            "id": execution_id,
            "node_id": node_id,
            "node_type": kind,
            "title": title,
            "index": index,
            "created_at": created_at,
            pre: pre_output,
            "extras": {},
        },
    )


def container_completed(
    kind: Literal["iteration", "loop"],
    execution_id: str,
    node_id: str,
    title: str,
    *,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None,
    status: NodeStatus,
    error: str | None,
    elapsed_time: float,
    total_tokens: int,
    steps: int,
    created_at: int,
    finished_at: int,
) -> WorkflowEvent:
    return WorkflowEvent(
        "iteration_completed" if kind == "iteration" else "loop_completed",
        {
            "id": execution_id,
            "node_id": node_id,
            "node_type": kind,
            "title": title,
            "outputs": outputs,
            "created_at": created_at,
            "extras": {},
            "inputs": inputs,
            "status": status,
            "error": error,
            "elapsed_time": elapsed_time,
            "total_tokens": total_tokens,
            "execution_metadata": {"total_tokens": total_tokens},
            "finished_at": finished_at,
            "steps": steps,
        },
    )


def human_input_required(node_id: str, title: str, form: dict[str, Any]) -> WorkflowEvent:
    """The run waits for a person: `form` is what to show (form_content rendered, inputs, user_actions)."""
    return WorkflowEvent("human_input_required", {"node_id": node_id, "title": title, **form})


def workflow_paused(run_id: str, node_ids: list[str], elapsed_time: float) -> WorkflowEvent:
    return WorkflowEvent(
        "workflow_paused", {"id": run_id, "paused_nodes": node_ids, "status": "paused", "elapsed_time": elapsed_time}
    )


def workflow_finished(
    run_id: str,
    workflow_id: str | None,
    *,
    status: RunStatus,
    outputs: dict[str, Any] | None,
    error: str | None,
    elapsed_time: float,
    total_tokens: int,
    total_steps: int,
    created_at: int,
    finished_at: int,
) -> WorkflowEvent:
    return WorkflowEvent(
        "workflow_finished",
        {
            "id": run_id,
            "workflow_id": workflow_id,
            "status": status,
            "outputs": outputs,
            "error": error,
            "elapsed_time": elapsed_time,
            "total_tokens": total_tokens,
            "total_steps": total_steps,
            "created_at": created_at,
            "finished_at": finished_at,
            "files": [],
        },
    )


def error(code: str, message: str, status: int = 500) -> WorkflowEvent:
    """Dify's stream `error` event: the run could not go on (status as the HTTP status it would have been)."""
    return WorkflowEvent("error", {"status": status, "code": code, "message": message})
