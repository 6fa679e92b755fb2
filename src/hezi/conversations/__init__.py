"""Conversations: conversations and their messages, memory, streaming events, citations and feedback.

It owns the dialogue between a person and an agent or workflow, and stores each turn with its usage when it ends.
It may import `hezi.workflows`, `hezi.agents`, `hezi.knowledge`, `hezi.serving`, `hezi.accounts`, `hezi.db`,
`hezi.errors` and `hezi.settings`; it must never import `hezi.apps` (above it) or the HTTP layer (`hezi.api`,
FastAPI, Starlette).
"""
