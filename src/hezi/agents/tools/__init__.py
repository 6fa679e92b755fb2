"""Tools an agent can call: one protocol (hezi.agents.tools.base), built-ins, OpenAPI operations and MCP servers."""
