"""The HTTP layer: parse a request, call one service method, serialize.

No queries and no permission logic live here; domain errors are translated to HTTP in errors.py.
"""
