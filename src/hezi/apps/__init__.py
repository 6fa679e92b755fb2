"""Apps: publishing an agent or workflow as a web app, widget or API — versions, share links, app keys, analytics.

It owns what a published app is and who may reach it; an app's request runs through `hezi.conversations` and from
there down. It is the top domain layer: it may import `hezi.conversations`, `hezi.workflows`, `hezi.agents`,
`hezi.knowledge`, `hezi.serving`, `hezi.accounts`, `hezi.db`, `hezi.errors` and `hezi.settings`, and it must never
import the HTTP layer (`hezi.api`, FastAPI, Starlette), `hezi.jobs`, `hezi.app` or `hezi.cli`.
"""
