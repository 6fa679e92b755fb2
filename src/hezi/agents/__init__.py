"""Agents: agent definitions, the tool protocol and toolsets (built-in, OpenAPI, MCP), and the tool-calling loop.

It owns deciding, step by step, which tool to call and when to answer; it asks for tokens through serving's
in-process client and for passages through knowledge's retriever. It may import `hezi.knowledge`, `hezi.serving`,
`hezi.accounts`, `hezi.db`, `hezi.egress`, `hezi.errors` and `hezi.settings`; it must never import `hezi.workflows`,
`hezi.conversations` or `hezi.apps` (above it), or the HTTP layer (`hezi.api`, FastAPI, Starlette).
"""
