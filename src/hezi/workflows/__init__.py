"""Workflows: the graph model, the registry of node types (by type name and version), the executor and its traces.

It owns running a graph of nodes; storing workflows belongs to the services that call it. It may import
`hezi.agents`, `hezi.knowledge`, `hezi.serving` and `hezi.errors`; it must never import `hezi.db` (no database
inside the executor), `hezi.conversations` or `hezi.apps` (above it), or the HTTP layer (`hezi.api`, FastAPI,
Starlette).
"""
