"""Accounts: users, workspaces and roles, login sessions, API keys, login throttling and the audit log.

It owns who may do what. It imports only `hezi.db`, `hezi.settings` and `hezi.errors` — never the HTTP layer.
"""
