"""Knowledge bases: turning uploaded documents into cited, searchable chunks.

This package owns parsing documents of every supported format into one block structure (headings, paragraphs,
lists, tables and page numbers kept for citations), chunking those blocks deterministically, and — in later slices —
embedding, indexing and hybrid retrieval. It is a domain package: it may import `hezi.serving`, `hezi.db`,
`hezi.errors` and `hezi.settings`, and it must never import the HTTP layer (`hezi.api`, FastAPI, Starlette).
"""
