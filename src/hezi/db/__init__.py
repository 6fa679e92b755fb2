"""The database: engine and sessions, the embedded PostgreSQL, tables and migrations.

It owns persistence plumbing only; it imports nothing from the domain packages or the HTTP layer.
"""
