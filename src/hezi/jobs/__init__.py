"""Background jobs on procrastinate (a PostgreSQL queue): thin task wrappers that call domain services.

It imports domain packages and `hezi.db`, never the HTTP layer.
"""
