"""Serving: the model registry, engines (llama.cpp workers, remote providers), the supervisor and the gateway.

It owns turning a request for a model into tokens. It imports `hezi.accounts`, `hezi.db` and
`hezi.settings`, never the HTTP layer.
"""
